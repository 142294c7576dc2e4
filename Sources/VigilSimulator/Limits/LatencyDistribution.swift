import Foundation

/// The log-normal latency of served responses: `median * exp(sigma * Z)` milliseconds, capped.
struct LatencyDistribution: Sendable, Hashable {
    var medianMilliseconds: Double
    var sigma: Double
    var maxMilliseconds: Double

    /// A latency in milliseconds; 0 when the median is 0.
    func sample(using generator: inout SeededRandomGenerator) -> Double {
        guard medianMilliseconds > 0 else { return 0 }
        let z = sigma > 0 ? generator.normal() : 0
        return min(maxMilliseconds, medianMilliseconds * exp(sigma * z))
    }
}
