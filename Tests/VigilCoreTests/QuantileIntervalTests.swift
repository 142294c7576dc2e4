import Testing
@testable import VigilCore

@Suite struct QuantileIntervalTests {
    /// Ranks worked out independently with exact binomial coefficients (Python's `math.comb`, the same rule: largest
    /// l with P(B ≤ l − 1) ≤ α/2, smallest u with P(B ≥ u) ≤ α/2).
    static let vectors: [(count: Int, quantile: Double, confidence: Double, lower: Int?, upper: Int?)] = [
        (200, 0.5, 0.95, 86, 115),
        (200, 0.99, 0.95, 195, nil),
        (235, 0.99, 0.95, 229, nil),
        (367, 0.99, 0.95, 359, nil),
        (368, 0.99, 0.95, 360, 368),
        (400, 0.99, 0.95, 392, 400),
        (1000, 0.99, 0.95, 983, 997),
        (1000, 0.5, 0.99, 459, 542),
        (100, 0.95, 0.95, 90, 100),
        (20, 0.5, 0.95, 6, 15),
        (200, 0.99, 0.8, 196, nil),
        (6, 0.5, 0.95, 1, 6),
        (5, 0.5, 0.95, nil, nil),
    ]

    @Test(arguments: vectors.indices)
    func ranksMatchTheExactBinomial(index: Int) {
        let vector = Self.vectors[index]
        let interval = QuantileInterval(count: vector.count, quantile: vector.quantile, confidence: vector.confidence)
        #expect(interval.lowerRank == vector.lower, "n \(vector.count) q \(vector.quantile)")
        #expect(interval.upperRank == vector.upper, "n \(vector.count) q \(vector.quantile)")
    }

    /// Where both ranks exist, the interval covers at least the confidence, and neither side can be narrowed; a side
    /// is missing only when even the most extreme order statistic leaves more than 2.5 % outside it.
    @Test func intervalsCoverTheirConfidenceAndAreTightest() {
        var twoSided = 0
        for count in [10, 37, 150, 500, 2000] {
            for quantile in [0.1, 0.5, 0.9, 0.95, 0.99] {
                let interval = QuantileInterval(count: count, quantile: quantile)
                let probabilities = QuantileInterval.binomial(count, quantile)
                #expect(abs(probabilities.reduce(0, +) - 1) < 1e-9)
                if interval.lowerRank == nil { #expect(probabilities[0] > 0.025, "n \(count) q \(quantile)") }
                if interval.upperRank == nil { #expect(probabilities[count] > 0.025, "n \(count) q \(quantile)") }
                guard let lower = interval.lowerRank, let upper = interval.upperRank else { continue }
                twoSided += 1
                #expect(lower < upper)
                let coverage = probabilities[lower...(upper - 1)].reduce(0, +)
                #expect(coverage >= 0.95 - 1e-12, "n \(count) q \(quantile): coverage \(coverage)")
                // One rank further in on either side leaves more than 2.5 % outside that side.
                #expect(probabilities[0...lower].reduce(0, +) > 0.025)
                #expect(probabilities[(upper - 1)...].reduce(0, +) > 0.025)
            }
        }
        #expect(twoSided >= 17)
    }

    @Test func boundsAreTheOrderStatistics() {
        let sorted = (1...200).map(Double.init)
        let p99 = QuantileInterval(count: 200, quantile: 0.99).bounds(in: sorted)
        #expect(p99.lower == 195)
        #expect(p99.upper == nil)
        let median = QuantileInterval(count: 200, quantile: 0.5).bounds(in: sorted)
        #expect(median.lower == 86)
        #expect(median.upper == 115)
        #expect(QuantileInterval(count: 0, quantile: 0.5).bounds(in: []) == (nil, nil))
    }
}
