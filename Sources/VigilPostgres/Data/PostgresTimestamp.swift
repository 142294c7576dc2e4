import Foundation

/// Text forms of `timestamptz`, fixed by the session settings Vigil's connections use
/// (`TimeZone = 'UTC'`, `DateStyle = 'ISO, YMD'`): `2026-11-26 23:12:00.123456+00`.
///
/// Hand-written because `DateFormatter` is slow and locale-dependent.
enum PostgresTimestamp {
    /// Formats `date` as UTC with microseconds.
    static func format(_ date: Date) -> String {
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        guard totalMicros.isFinite, abs(totalMicros) < 9e18 else { return totalMicros < 0 ? "-infinity" : "infinity" }
        let micros = Int64(totalMicros)
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
        let (y, m, d) = civil(fromDays: days)
        guard (0...9999).contains(y) else {
            return String(
                format: "%04lld-%02lld-%02lld %02lld:%02lld:%02lld.%06lld+00",
                y, m, d, secondOfDay / 3600, (secondOfDay / 60) % 60, secondOfDay % 60, fraction
            )
        }
        // Years 0…9999 (every date Vigil stores): digits written directly, `String(format:)` being slow on Linux.
        return String(unsafeUninitializedCapacity: 29) { buffer in
            var i = 0
            func put(_ value: Int64, digits: Int) {
                var rest = value
                for k in stride(from: digits - 1, through: 0, by: -1) {
                    buffer[i + k] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                    rest /= 10
                }
                i += digits
            }
            func put(_ byte: UInt8) {
                buffer[i] = byte
                i += 1
            }
            put(y, digits: 4)
            put(UInt8(ascii: "-"))
            put(m, digits: 2)
            put(UInt8(ascii: "-"))
            put(d, digits: 2)
            put(UInt8(ascii: " "))
            put(secondOfDay / 3600, digits: 2)
            put(UInt8(ascii: ":"))
            put((secondOfDay / 60) % 60, digits: 2)
            put(UInt8(ascii: ":"))
            put(secondOfDay % 60, digits: 2)
            put(UInt8(ascii: "."))
            put(fraction, digits: 6)
            put(UInt8(ascii: "+"))
            put(0, digits: 2)
            return i
        }
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]]`, or `infinity`/`-infinity`.
    static func parse(_ text: String) -> Date? {
        if text == "infinity" { return .distantFuture }
        if text == "-infinity" { return .distantPast }
        let bytes = Array(text.utf8)
        var i = 0
        func number(_ count: Int) -> Int64? {
            guard i + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for k in 0..<count {
                let b = bytes[i + k]
                guard b >= 0x30, b <= 0x39 else { return nil }
                value = value * 10 + Int64(b - 0x30)
            }
            i += count
            return value
        }
        func expect(_ ch: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == ch else { return false }
            i += 1
            return true
        }
        // Years beyond 9999 have more digits: read until '-'.
        var yearDigits = 0
        while i + yearDigits < bytes.count, bytes[i + yearDigits] != UInt8(ascii: "-") { yearDigits += 1 }
        guard yearDigits >= 4, let year = number(yearDigits), expect(UInt8(ascii: "-")), let month = number(2),
            expect(UInt8(ascii: "-")), let day = number(2)
        else { return nil }
        var hour: Int64 = 0
        var minute: Int64 = 0
        var second: Int64 = 0
        var micros: Int64 = 0
        if expect(UInt8(ascii: " ")) || expect(UInt8(ascii: "T")) {
            guard let h = number(2), expect(UInt8(ascii: ":")), let mi = number(2), expect(UInt8(ascii: ":")), let s = number(2) else {
                return nil
            }
            hour = h
            minute = mi
            second = s
            if expect(UInt8(ascii: ".")) {
                var digits = 0
                while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                    if digits < 6 { micros = micros * 10 + Int64(bytes[i] - 0x30) }
                    digits += 1
                    i += 1
                }
                if digits < 6 { for _ in digits..<6 { micros *= 10 } }
            }
        }
        var offsetSeconds: Int64 = 0
        if i < bytes.count {
            let sign: Int64
            if expect(UInt8(ascii: "+")) {
                sign = 1
            } else if expect(UInt8(ascii: "-")) {
                sign = -1
            } else if expect(UInt8(ascii: "Z")) {
                sign = 0
            } else {
                return nil
            }
            if sign != 0 {
                guard let oh = number(2) else { return nil }
                var total = oh * 3600
                if expect(UInt8(ascii: ":")), let om = number(2) {
                    total += om * 60
                    if expect(UInt8(ascii: ":")), let os = number(2) { total += os }
                }
                offsetSeconds = sign * total
            }
        }
        guard i == bytes.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
