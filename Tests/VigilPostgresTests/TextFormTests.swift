import Foundation
import Testing
import VigilCore

@testable import VigilPostgres

/// The hand-written text forms sent to PostgreSQL equal the Foundation-formatted ones they replaced.
@Suite("Text forms: timestamps, uuids, array literals")
struct TextFormTests {
    /// The former implementation (`String(format:)`, for years 1 AD and later), kept here as the reference; its
    /// calendar, ``CivilDate``, is tested on its own against Foundation in VigilCoreTests.
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
        let civil = CivilDate(daysSince1970: Int(days))
        let (y, m, d) = (Int64(civil.year), Int64(civil.month), Int64(civil.day))
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

    /// PostgreSQL 15's text (`SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'`) of instants before year 1 and around
    /// calendar edges, with `extract(epoch from …)` of each, and ours (six fraction digits, where PostgreSQL drops
    /// trailing zeros). PostgreSQL has no year 0: 1 BC comes right before 1 AD.
    static let serverTexts: [(seconds: Double, server: String, ours: String)] = [
        (-62_135_596_800, "0001-01-01 00:00:00+00", "0001-01-01 00:00:00.000000+00"),
        (-62_135_683_200, "0001-12-31 00:00:00+00 BC", "0001-12-31 00:00:00.000000+00 BC"),
        (-62_135_769_600, "0001-12-30 00:00:00+00 BC", "0001-12-30 00:00:00.000000+00 BC"),  // Date.distantPast
        (-62_167_219_200, "0001-01-01 00:00:00+00 BC", "0001-01-01 00:00:00.000000+00 BC"),
        (-62_162_035_200, "0001-03-01 00:00:00+00 BC", "0001-03-01 00:00:00.000000+00 BC"),  // 1 BC is a leap year: its February 29th came before
        (-62_198_755_200, "0002-01-01 00:00:00+00 BC", "0002-01-01 00:00:00.000000+00 BC"),
        (-62_288_352_000, "0005-02-29 00:00:00+00 BC", "0005-02-29 00:00:00.000000+00 BC"),
        (-63_082_281_600, "0030-01-02 00:00:00+00 BC", "0030-01-02 00:00:00.000000+00 BC"),
        (-63_517_780_799.5, "0044-03-15 12:00:00.5+00 BC", "0044-03-15 12:00:00.500000+00 BC"),
        (-65_317_881_600, "0101-02-28 00:00:00+00 BC", "0101-02-28 00:00:00.000000+00 BC"),  // 101 BC is not a leap year (year -100)
        (-74_784_902_400, "0401-02-29 00:00:00+00 BC", "0401-02-29 00:00:00.000000+00 BC"),  // 401 BC is (year -400)
        (-210_835_180_800, "4713-11-24 00:00:00+00 BC", "4713-11-24 00:00:00.000000+00 BC"),  // the earliest timestamptz
        (-62_104_060_800.5, "0001-12-31 23:59:59.5+00", "0001-12-31 23:59:59.500000+00"),
        (-12_220_243_200, "1582-10-04 00:00:00+00", "1582-10-04 00:00:00.000000+00"),  // proleptic Gregorian: no switch from the Julian calendar
        (-2_203_977_600, "1900-02-28 00:00:00+00", "1900-02-28 00:00:00.000000+00"),
        (951_782_400, "2000-02-29 00:00:00+00", "2000-02-29 00:00:00.000000+00"),
        (253_402_300_800, "10000-01-01 00:00:00+00", "10000-01-01 00:00:00.000000+00"),
    ]

    @Test("old and BC instants print and parse as PostgreSQL's text, with ` BC` and no year 0")
    func serverTextsBeforeYearOne() {
        for (seconds, server, ours) in Self.serverTexts {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(PostgresTimestamp.parse(server) == date, "\(server)")
            #expect(PostgresTimestamp.format(date) == ours, "\(seconds)")
            #expect(PostgresTimestamp.parse(ours) == date, "\(ours)")
        }
        #expect(PostgresTimestamp.format(.distantPast) == "0001-12-30 00:00:00.000000+00 BC")
        // PostgreSQL never prints year 0.
        #expect(PostgresTimestamp.parse("0000-01-01 00:00:00+00 BC") == nil)
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
