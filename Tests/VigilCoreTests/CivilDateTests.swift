import Foundation
import Testing
import VigilCore

/// ``CivilDate`` against references that share none of its arithmetic: Foundation's Gregorian calendar where
/// Foundation is Gregorian (from 1582-10-15; before that it switches to the Julian calendar, which PostgreSQL and
/// ISO 8601 do not), and a day-by-day walk with month lengths for every year, negative ones included.
@Suite("CivilDate")
struct CivilDateTests {
    /// A mismatch, with what each side said (the first few are reported).
    struct Mismatch: CustomStringConvertible {
        var days: Int
        var expected: String
        var found: String
        var description: String { "day \(days): expected \(expected), found \(found)" }
    }

    static func text(_ date: CivilDate) -> String { "\(date.year)-\(date.month)-\(date.day)" }

    static let utcGregorian: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// 1582-10-15, the first day of Foundation's Gregorian calendar (the day before is Julian 1582-10-04).
    static let firstGregorianDay = -141_427
    /// 9999-12-31, the last day PostgreSQL's four-digit years (and `PostgresTimestamp`'s fast path) cover.
    static let lastFourDigitDay = 2_932_896

    @Test("fixed points: the epoch, era starts, year 1, 1 BC (year 0) and PostgreSQL's own values")
    func fixedPoints() {
        let cases: [(days: Int, year: Int, month: Int, day: Int)] = [
            (0, 1970, 1, 1), (-1, 1969, 12, 31), (11_016, 2000, 2, 29), (11_017, 2000, 3, 1), (-719_468, 0, 3, 1),
            // From PostgreSQL 15: extract(epoch from '0001-01-01 00:00:00+00'::timestamptz) / 86400, and the like.
            // 1 BC is year 0, 5 BC year -4, 44 BC year -43; 101 BC (year -100) is not a leap year, 401 BC (-400) is.
            (-719_162, 1, 1, 1), (-719_163, 0, 12, 31), (-719_528, 0, 1, 1), (-719_469, 0, 2, 29), (-720_930, -4, 2, 29),
            (-735_160, -43, 3, 15), (-755_994, -100, 2, 28), (-865_566, -400, 2, 29), (-2_440_222, -4712, 11, 24),
            (-141_438, 1582, 10, 4), (-25_509, 1900, 2, 28), (-25_508, 1900, 3, 1), (47_540, 2100, 2, 28), (47_541, 2100, 3, 1),
            (2_932_896, 9999, 12, 31),
        ]
        for (days, year, month, day) in cases {
            #expect(CivilDate(daysSince1970: days) == CivilDate(year: year, month: month, day: day), "day \(days)")
            #expect(CivilDate(year: year, month: month, day: day).daysSince1970 == days, "\(year)-\(month)-\(day)")
        }
    }

    @Test("both directions equal Foundation's UTC Gregorian calendar for every day from 1582-10-15 to 9999-12-31")
    func matchesFoundation() {
        let calendar = Self.utcGregorian
        var mismatches: [Mismatch] = []
        var checked = 0
        for days in Self.firstGregorianDay...Self.lastFourDigitDay {
            let date = Date(timeIntervalSince1970: Double(days) * 86_400)
            let parts = calendar.dateComponents([.era, .year, .month, .day], from: date)
            let foundation = CivilDate(year: parts.year!, month: parts.month!, day: parts.day!)
            let civil = CivilDate(daysSince1970: days)
            if parts.era != 1 || civil != foundation {
                mismatches.append(Mismatch(days: days, expected: "\(parts)", found: Self.text(civil)))
            }
            let back = calendar.date(from: DateComponents(year: civil.year, month: civil.month, day: civil.day))
            let foundationDays = back.map { Int(($0.timeIntervalSince1970 / 86_400).rounded(.down)) }
            if foundationDays != days || civil.daysSince1970 != days {
                mismatches.append(
                    Mismatch(days: days, expected: foundationDays.map(String.init) ?? "nil", found: "\(civil.daysSince1970)"))
            }
            checked += 1
        }
        #expect(checked == 3_074_324)
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
    }

    @Test("leap years and month lengths equal Foundation's from 1583 to 9999")
    func monthLengthsMatchFoundation() throws {
        let calendar = Self.utcGregorian
        for year in 1583...9999 {
            for month in 1...12 {
                let first = try #require(calendar.date(from: DateComponents(year: year, month: month, day: 1)))
                let length = try #require(calendar.range(of: .day, in: .month, for: first)).count
                if CivilDate.daysIn(month: month, year: year) != length {
                    Issue.record("\(year)-\(month): \(CivilDate.daysIn(month: month, year: year)) days, Foundation \(length)")
                }
            }
            #expect(CivilDate.isLeap(year) == (CivilDate.daysIn(month: 2, year: year) == 29))
        }
    }

    /// Walks the calendar one day at a time from 1970-01-01 with month lengths (a leap year every 4 years except
    /// centuries not divisible by 400), in both directions, comparing both conversions on every day.
    @Test(
        "both directions equal a day-by-day walk for every day from year -20000 to 20000",
        arguments: [(direction: 1, lastYear: 20_000), (direction: -1, lastYear: -20_000)])
    func matchesWalk(direction: Int, lastYear: Int) {
        func length(_ month: Int, _ year: Int) -> Int {
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            return month == 2 ? (leap ? 29 : 28) : [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        }
        var (year, month, day) = (1970, 1, 1)
        var days = 0
        var mismatches: [Mismatch] = []
        while year != lastYear + direction {
            let walked = CivilDate(year: year, month: month, day: day)
            let civil = CivilDate(daysSince1970: days)
            if civil != walked || walked.daysSince1970 != days {
                mismatches.append(Mismatch(days: days, expected: Self.text(walked), found: "\(Self.text(civil)), \(walked.daysSince1970)"))
            }
            days += direction
            day += direction
            if day > length(month, year) {
                day = 1
                month += 1
                if month > 12 { (year, month) = (year + 1, 1) }
            } else if day < 1 {
                month -= 1
                if month < 1 { (year, month) = (year - 1, 12) }
                day = length(month, year)
            }
        }
        #expect(abs(days) > 6_500_000)
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
    }

    static func roundTrips(_ days: Int) -> Bool {
        let civil = CivilDate(daysSince1970: days)
        return (1...12).contains(civil.month) && civil.day >= 1 && civil.day <= CivilDate.daysIn(month: civil.month, year: civil.year)
            && civil.daysSince1970 == days
    }

    @Test("days → date → days is the identity with a valid date, for every day within ±2^24 days (±45,000 years)")
    func roundTripEveryDay() {
        var failures: [Int] = []
        for days in -(1 << 24)...(1 << 24) where !Self.roundTrips(days) {
            failures.append(days)
        }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(5))")
    }

    @Test("days → date → days is the identity across the whole supported range: its ends, and strided and random days")
    func roundTripSupportedRange() {
        let range = CivilDate.supportedDays
        var samples = Array(range.lowerBound...(range.lowerBound + 1_000)) + Array((range.upperBound - 1_000)...range.upperBound)
        let step = range.upperBound / 500_000
        samples += stride(from: range.lowerBound, to: range.upperBound, by: step).map { $0 }
        var generator = SystemRandomNumberGenerator()
        samples += (0..<500_000).map { _ in Int.random(in: range, using: &generator) }
        let failures = samples.filter { !Self.roundTrips($0) }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(5))")
        // Consecutive days are consecutive dates at the ends too: the last day of a year is followed by January 1st.
        for days in [range.lowerBound, range.upperBound - 400] {
            let start = CivilDate(daysSince1970: days)
            let next = CivilDate(daysSince1970: days + 1)
            let expectedNext =
                start.day < CivilDate.daysIn(month: start.month, year: start.year)
                ? CivilDate(year: start.year, month: start.month, day: start.day + 1)
                : start.month < 12 ? CivilDate(year: start.year, month: start.month + 1, day: 1) : CivilDate(year: start.year + 1, month: 1, day: 1)
            #expect(next == expectedNext, "\(days)")
        }
    }
}
