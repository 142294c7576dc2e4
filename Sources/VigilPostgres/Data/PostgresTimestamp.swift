import Foundation
import VigilCore

/// Text forms of `timestamptz`, fixed by the session settings Vigil's connections use
/// (`TimeZone = 'UTC'`, `DateStyle = 'ISO, YMD'`): `2026-11-26 23:12:00.123456+00`, and for dates before year 1
/// PostgreSQL's ` BC` suffix (`0044-03-15 12:00:00.000000+00 BC`; PostgreSQL has no year 0, so 1 BC is
/// ``CivilDate``'s year 0). The calendar is the proleptic Gregorian one, as in PostgreSQL.
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
        let civil = CivilDate(daysSince1970: Int(days))
        let beforeChrist = civil.year <= 0
        let y = Int64(beforeChrist ? 1 - civil.year : civil.year)
        let m = Int64(civil.month)
        let d = Int64(civil.day)
        guard y <= 9999 else {
            return String(
                format: "%04lld-%02lld-%02lld %02lld:%02lld:%02lld.%06lld+00",
                y, m, d, secondOfDay / 3600, (secondOfDay / 60) % 60, secondOfDay % 60, fraction
            ) + (beforeChrist ? " BC" : "")
        }
        // Years 1…9999 AD or BC (every date Vigil stores): digits written directly, `String(format:)` being slow on Linux.
        return String(unsafeUninitializedCapacity: 32) { buffer in
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
            if beforeChrist {
                put(UInt8(ascii: " "))
                put(UInt8(ascii: "B"))
                put(UInt8(ascii: "C"))
            }
            return i
        }
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]][ BC]`, or `infinity`/`-infinity`.
    static func parse(_ text: String) -> Date? {
        if text == "infinity" { return .distantFuture }
        if text == "-infinity" { return .distantPast }
        let bytes = Array(text.utf8)
        var end = bytes.count
        let beforeChrist = end >= 3 && bytes[end - 3] == UInt8(ascii: " ") && bytes[end - 2] == UInt8(ascii: "B")
            && bytes[end - 1] == UInt8(ascii: "C")
        if beforeChrist { end -= 3 }
        var i = 0
        func number(_ count: Int) -> Int64? {
            guard i + count <= end else { return nil }
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
            guard i < end, bytes[i] == ch else { return false }
            i += 1
            return true
        }
        // Years beyond 9999 have more digits: read until '-'.
        var yearDigits = 0
        while i + yearDigits < end, bytes[i + yearDigits] != UInt8(ascii: "-") { yearDigits += 1 }
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
                while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                    if digits < 6 { micros = micros * 10 + Int64(bytes[i] - 0x30) }
                    digits += 1
                    i += 1
                }
                if digits < 6 { for _ in digits..<6 { micros *= 10 } }
            }
        }
        var offsetSeconds: Int64 = 0
        if i < end {
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
        guard i == end, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61,
            !beforeChrist || year >= 1
        else { return nil }
        let days = Int64(CivilDate(year: Int(beforeChrist ? 1 - year : year), month: Int(month), day: Int(day)).daysSince1970)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }
}
