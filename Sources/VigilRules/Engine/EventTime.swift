import VigilCore

/// A point in time read from an event (`eventTime` and the like), in seconds since 1970 UTC.
///
/// Parsing is done by hand (RFC 3339 / ISO 8601 `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`, or epoch numbers)
/// so that time comes from the data, never from the machine's clock or locale.
public struct EventTime: Sendable, Hashable, Comparable {
    public var seconds: Double

    public init(seconds: Double) { self.seconds = seconds }

    public static func < (lhs: EventTime, rhs: EventTime) -> Bool { lhs.seconds < rhs.seconds }

    /// The fields tried, in order, when reading an event's time.
    public static let defaultFields = [FieldPath("eventTime"), FieldPath("@timestamp"), FieldPath("timestamp"), FieldPath("time")]

    /// The event's time from the first of `fields` that holds a timestamp (text or epoch seconds/milliseconds).
    public static func of(_ event: JSONValue, fields: [FieldPath] = defaultFields) -> EventTime? {
        for field in fields {
            switch field.value(in: event) {
            case .string(let s)?: if let t = parse(s) { return t }
            case .int(let i)?: return EventTime(seconds: i > 100_000_000_000 ? Double(i) / 1000 : Double(i))
            case .double(let d)?: return EventTime(seconds: d > 100_000_000_000 ? d / 1000 : d)
            default: continue
            }
        }
        return nil
    }

    /// Parses an RFC 3339 timestamp; a missing zone means UTC. Returns nil for anything else.
    public static func parse(_ text: String) -> EventTime? {
        var text = text
        return text.withUTF8 { b -> EventTime? in
            var i = 0
            func digits(_ n: Int) -> Int? {
                guard i + n <= b.count else { return nil }
                var v = 0
                for k in 0..<n {
                    let d = Int(b[i + k]) - 48
                    guard (0...9).contains(d) else { return nil }
                    v = v * 10 + d
                }
                i += n
                return v
            }
            func expect(_ c: UInt8) -> Bool {
                guard i < b.count, b[i] == c else { return false }
                i += 1
                return true
            }
            guard let year = digits(4), expect(0x2D), let month = digits(2), expect(0x2D), let day = digits(2),
                (1...12).contains(month), (1...31).contains(day)
            else { return nil }
            var seconds = Double(CivilDate(year: year, month: month, day: day).daysSince1970) * 86_400
            guard i < b.count else { return EventTime(seconds: seconds) }
            guard b[i] == 0x54 || b[i] == 0x74 || b[i] == 0x20 else { return nil }
            i += 1
            guard let hour = digits(2), expect(0x3A), let minute = digits(2), hour < 24, minute < 60 else { return nil }
            var second = 0
            if expect(0x3A) {
                guard let s = digits(2), s <= 60 else { return nil }
                second = s
            }
            seconds += Double(hour * 3600 + minute * 60 + second)
            if i < b.count, b[i] == 0x2E || b[i] == 0x2C {
                i += 1
                var scale = 0.1
                var fraction = 0.0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    fraction += Double(b[i] - 48) * scale
                    scale /= 10
                    i += 1
                }
                seconds += fraction
            }
            if i == b.count { return EventTime(seconds: seconds) }
            if b[i] == 0x5A || b[i] == 0x7A { return i + 1 == b.count ? EventTime(seconds: seconds) : nil }
            guard b[i] == 0x2B || b[i] == 0x2D else { return nil }
            let sign = b[i] == 0x2B ? -1.0 : 1.0
            i += 1
            guard let offsetHours = digits(2) else { return nil }
            _ = expect(0x3A)
            let offsetMinutes = digits(2) ?? 0
            guard i == b.count else { return nil }
            return EventTime(seconds: seconds + sign * Double(offsetHours * 3600 + offsetMinutes * 60))
        }
    }

    /// A part of the UTC date and time; `week` is the ISO 8601 week number.
    public func part(_ part: ValueTest.TimePart) -> Int {
        let whole = Int(seconds.rounded(.down))
        let days = Int((Double(whole) / 86_400).rounded(.down))
        let secondOfDay = whole - days * 86_400
        let date = CivilDate(daysSince1970: days)
        switch part {
        case .minute: return secondOfDay / 60 % 60
        case .hour: return secondOfDay / 3600
        case .day: return date.day
        case .month: return date.month
        case .year: return date.year
        case .week:
            let weekday = ((days % 7) + 7 + 3) % 7 + 1  // Monday = 1
            let thursday = days - weekday + 4
            let thursdayYear = CivilDate(daysSince1970: thursday).year
            let firstDay = CivilDate(year: thursdayYear, month: 1, day: 1).daysSince1970
            return (thursday - firstDay) / 7 + 1
        }
    }
}
