import Foundation

/// Parses RFC 3339 timestamps and the ISO 8601 variants producers send, without Foundation formatters
/// (which are slow, locale-sensitive and lenient in surprising ways).
///
/// Accepted: `YYYY-MM-DD` then `T`, `t` or a space, then `hh:mm:ss`, an optional fraction (`.` or `,`, any number
/// of digits, nanoseconds kept), then a zone: `Z`, `z`, `±hh:mm`, `±hhmm` or `±hh`. The zone is required: a
/// timestamp without one is local time somewhere, and guessing would misorder alerts. Field ranges are checked
/// (month 1–12, day within its month in the proleptic Gregorian calendar, hour 0–23, minute 0–59, second 0–60;
/// a leap second `60` is read as the first second of the next minute).
public enum RFC3339 {
    /// `2026-11-26T23:12:00.123Z`: UTC with milliseconds.
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// The instant `text` names, or nil when it is not a timestamp of the accepted forms.
    public static func parse(_ text: some StringProtocol) -> Date? {
        guard let (seconds, nanoseconds) = parseComponents(Array(text.utf8)) else { return nil }
        return Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9)
    }

    /// Seconds since 1970-01-01T00:00:00Z and the nanoseconds after them, or nil.
    static func parseComponents(_ b: [UInt8]) -> (seconds: Int64, nanoseconds: Int64)? {
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= b.count else { return nil }
            var value = 0
            for k in i..<(i + digits) {
                guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                value = value * 10 + Int(b[k] - 0x30)
            }
            i += digits
            return value
        }
        func expect(_ allowed: UInt8...) -> Bool {
            guard i < b.count, allowed.contains(b[i]) else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2),
            expect(0x54, 0x74, 0x20), let hour = number(2), expect(0x3A), let minute = number(2), expect(0x3A),
            let second = number(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year), hour <= 23, minute <= 59,
            second <= 60
        else { return nil }
        var nanoseconds: Int64 = 0
        if expect(0x2E, 0x2C) {
            let start = i
            var scale: Int64 = 100_000_000
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                nanoseconds += Int64(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        var offsetSeconds = 0
        if expect(0x5A, 0x7A) {
            offsetSeconds = 0
        } else if i < b.count, b[i] == 0x2B || b[i] == 0x2D {
            let sign = b[i] == 0x2D ? -1 : 1
            i += 1
            guard let offsetHours = number(2), offsetHours <= 23 else { return nil }
            var offsetMinutes = 0
            if i < b.count {
                _ = expect(0x3A)
                guard let minutes = number(2), minutes <= 59 else { return nil }
                offsetMinutes = minutes
            }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = CivilDate(year: year, month: month, day: day).daysSince1970
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        return (seconds, nanoseconds)
    }
}
