import Foundation
import Testing

@testable import VigilPostgres

/// The hand-written text forms sent to PostgreSQL equal the Foundation-formatted ones they replaced.
@Suite("Text forms: timestamps, uuids, array literals")
struct TextFormTests {
    /// The former implementation, kept here as the reference.
    static func referenceTimestamp(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 {
            fraction += 1_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (y, m, d) = PostgresTimestamp.civil(fromDays: days)
        return String(
            format: "%04lld-%02lld-%02lld %02lld:%02lld:%02lld.%06lld+00",
            y, m, d, secondOfDay / 3600, (secondOfDay / 60) % 60, secondOfDay % 60, fraction
        )
    }

    @Test("timestamps from year 1 to 9999, and out of that range, format as before and parse back")
    func timestamps() {
        var generator = SystemRandomNumberGenerator()
        let fixed: [Double] = [0, -1, 0.000001, -0.000001, 1_717_200_000.123456, 253_402_300_799.5, -62_135_596_800, 86_399.5]
        let random = (0..<5_000).map { _ in Double.random(in: -62_135_596_800..<253_402_300_800, using: &generator) }
        for seconds in fixed + random {
            let date = Date(timeIntervalSince1970: seconds)
            let text = PostgresTimestamp.format(date)
            #expect(text == Self.referenceTimestamp(date), "\(seconds)")
            #expect(text.utf8.count == 29)
        }
        // Past 9999 (the last microsecond rounds up into year 10000): the Foundation path, as before.
        for seconds in [253_402_300_799.9999996, 300_000_000_000] {
            let far = Date(timeIntervalSince1970: seconds)
            #expect(PostgresTimestamp.format(far) == Self.referenceTimestamp(far))
            #expect(PostgresTimestamp.format(far).hasPrefix("1"))
        }
        let now = Date(timeIntervalSince1970: 1_717_200_000.5)
        #expect(PostgresTimestamp.parse(PostgresTimestamp.format(now)) == now)
    }

    @Test("uuids print as lowercased uuidString, as text and as COPY fields")
    func uuids() {
        for _ in 0..<1_000 {
            let id = UUID()
            #expect(id.postgresText == id.uuidString.lowercased())
            var writer = PostgresCopyRowWriter()
            writer.field(id)
            writer.field(Date(timeIntervalSince1970: 0))
            #expect(String(decoding: writer.buffer, as: UTF8.self) == id.uuidString.lowercased() + "\t1970-01-01 00:00:00.000000+00")
        }
    }

    @Test("array literal elements escape quotes and backslashes, and only those", arguments: [
        "", "plain", #"a"b"#, #"a\b"#, #"\""#, "é, ü and 😀", "tab\tnew\nline", "{braces},NULL",
    ])
    func arrayElements(_ text: String) {
        var expected = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { expected += "\\" }
            expected.unicodeScalars.append(scalar)
        }
        expected += "\""
        #expect(text.arrayLiteralElement == expected)
        #expect([text, text].postgresValue == .text("{\(expected),\(expected)}", oid: PostgresType.textArray))
    }
}
