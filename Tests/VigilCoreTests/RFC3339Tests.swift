import Foundation
import Testing

@testable import VigilCore

@Suite("RFC3339")
struct RFC3339Tests {
    @Test(
        "accepted forms",
        arguments: [
            ("1970-01-01T00:00:00Z", 0.0),
            ("2024-05-01T12:00:00Z", 1_714_564_800),
            ("2024-05-01t12:00:00z", 1_714_564_800),
            ("2024-05-01 12:00:00Z", 1_714_564_800),
            ("2024-05-01T12:00:00.5Z", 1_714_564_800.5),
            ("2024-05-01T12:00:00,250Z", 1_714_564_800.25),
            ("2024-05-01T12:00:00.123456789123Z", 1_714_564_800.123456789),
            ("2024-05-01T14:30:00+02:30", 1_714_564_800),
            ("2024-05-01T14:30:00+0230", 1_714_564_800),
            ("2024-05-01T14:00:00+02", 1_714_564_800),
            ("2024-05-01T07:00:00-05:00", 1_714_564_800),
            ("2024-05-01T12:00:00-00:00", 1_714_564_800),
            ("2024-02-29T00:00:00Z", 1_709_164_800),
            ("2000-02-29T00:00:00Z", 951_782_400),
            ("1969-12-31T23:59:59Z", -1),
            ("2016-12-31T23:59:60Z", 1_483_228_800),
            ("2038-01-19T03:14:08Z", 2_147_483_648),
        ])
    func accepted(text: String, seconds: Double) throws {
        let date = try #require(RFC3339.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 1e-6)
    }

    @Test(
        "rejected forms",
        arguments: [
            "", "2024-05-01", "2024-05-01T12:00:00", "2024-05-01T12:00Z", "2024-5-01T12:00:00Z", "24-05-01T12:00:00Z",
            "2024-13-01T12:00:00Z", "2024-00-01T12:00:00Z", "2024-04-31T12:00:00Z", "2023-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:60:00Z", "2024-05-01T12:00:61Z",
            "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00+2:00", "2024-05-01T12:00:00+24:00", "2024-05-01T12:00:00+02:60",
            "2024-05-01T12:00:00Z ", " 2024-05-01T12:00:00Z", "2024-05-01X12:00:00Z", "2024-05-01T12:00:00UTC",
            "2024-05-01T12:00:00+02:00:00", "2024-05-01T12:00:00+02:0", "１９７０-01-01T00:00:00Z",
        ])
    func rejected(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test("agrees with Foundation's ISO 8601 parser on random instants")
    func agreesWithFoundation() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        var rng = SplitMix64(seed: 3)
        for _ in 0..<2_000 {
            let seconds = Double(Int64(rng.next() % 8_000_000_000) - 2_000_000_000)
            let text = formatter.string(from: Date(timeIntervalSince1970: seconds))
            #expect(RFC3339.parse(text)?.timeIntervalSince1970 == seconds, "\(text)")
        }
    }
}
