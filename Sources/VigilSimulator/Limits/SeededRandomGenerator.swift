import Foundation
import VigilCore

/// VigilCore's seeded ``SplitMix64`` with the draws the simulator needs, so a run with the same seed injects
/// the same errors and latencies in the same order.
struct SeededRandomGenerator: RandomNumberGenerator, Sendable {
    private var core: SplitMix64

    init(seed: UInt64) { core = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { core.next() }

    /// A uniform double in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal deviate (Box–Muller).
    mutating func normal() -> Double {
        let u1 = max(unit(), .leastNonzeroMagnitude)
        let u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    /// `count` characters from the base-62 alphabet, for ids such as `toolu_…`.
    mutating func base62(_ count: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        return String((0..<count).map { _ in alphabet[Int(next() % 62)] })
    }
}
