import Foundation

/// A distribution-free confidence interval for a quantile of the population a sample was drawn from: two of the
/// sample's order statistics, chosen with the binomial distribution (of n values, the number below the population's
/// q-quantile is Binomial(n, q)). Nothing is assumed about the shape of the distribution, which for latencies is
/// skewed and heavy-tailed.
///
/// A small sample may bound a high quantile from one side only: the largest of 200 values is an upper bound of the
/// 0.99-quantile with 87 % confidence (all 200 fall below it with probability 0.99^200 = 0.134), so a 95 % interval
/// of a p99 has an upper bound from 368 values on. ``upperRank`` is nil then, and the honest reading of a measured
/// p99 below a target is "not shown to be above it", not "met".
public struct QuantileInterval: Sendable, Hashable {
    /// 1-based ranks in the ascending sample; nil where no order statistic reaches the confidence on that side.
    public var lowerRank: Int?
    public var upperRank: Int?

    /// The ranks for `count` values, the `quantile` in 0…1 and a two-sided `confidence` (default 95 %): `lowerRank`
    /// is the largest l with P(B ≤ l − 1) ≤ α/2 and `upperRank` the smallest u with P(B ≥ u) ≤ α/2, B ~ Binomial(count,
    /// quantile), α = 1 − confidence. The interval covers the quantile with probability P(l ≤ B ≤ u − 1) ≥ confidence.
    public init(count: Int, quantile: Double, confidence: Double = 0.95) {
        precondition((0...1).contains(quantile) && (0..<1).contains(confidence), "quantile in 0…1, confidence in 0..<1")
        let tail = (1 - confidence) / 2
        guard count > 0 else { return }
        let probabilities = Self.binomial(count, quantile)
        // P(B ≤ k) from below, P(B ≥ k) from above: each side summed from its own small end (no 1 − x cancellation).
        var below = 0.0
        for l in 1...count {
            below += probabilities[l - 1]
            if below > tail { break }
            lowerRank = l
        }
        var above = 0.0
        for u in stride(from: count, through: 1, by: -1) {
            above += probabilities[u]
            if above > tail { break }
            upperRank = u
        }
    }

    /// The interval's bounds among `sorted` (ascending, `count` values); nil on a side without a rank.
    public func bounds(in sorted: [Double]) -> (lower: Double?, upper: Double?) {
        (lowerRank.flatMap { $0 <= sorted.count ? sorted[$0 - 1] : nil }, upperRank.flatMap { $0 <= sorted.count ? sorted[$0 - 1] : nil })
    }

    /// P(B = k) for k in 0…n, B ~ Binomial(n, p), through logarithms (p^n underflows long before n is large).
    static func binomial(_ n: Int, _ p: Double) -> [Double] {
        if p == 0 { return (0...n).map { $0 == 0 ? 1 : 0 } }
        if p == 1 { return (0...n).map { $0 == n ? 1 : 0 } }
        // log k! for k in 0…n.
        var logFactorial = [0.0]
        logFactorial.reserveCapacity(n + 1)
        for k in stride(from: 1, through: n, by: 1) { logFactorial.append(logFactorial[k - 1] + log(Double(k))) }
        let (logP, logQ) = (log(p), log1p(-p))
        return (0...n).map { k in
            let logChoose = logFactorial[n] - logFactorial[k] - logFactorial[n - k]
            return exp(logChoose + Double(k) * logP + Double(n - k) * logQ)
        }
    }
}
