/// A day of the proleptic Gregorian calendar and its conversion to and from a count of days since 1970-01-01,
/// in integer arithmetic only: no Foundation `Calendar` (slow, allocating, and Julian before 1582-10-15), no
/// allocation. The one implementation of the calendar for timestamps parsed and printed by hand (RFC 3339 at
/// ingest, event times in rules, PostgreSQL's text form of `timestamptz`).
///
/// Years are astronomical, as in ISO 8601: year 0 is 1 BC, year -1 is 2 BC (PostgreSQL prints year 0 as
/// `0001 BC`). The Gregorian leap-year rule applies to every year, before 1582 too, as PostgreSQL does.
///
/// The conversions are Howard Hinnant's `days_from_civil` and `civil_from_days`
/// (<https://howardhinnant.github.io/date_algorithms.html>). Contract: for every `days` in ``supportedDays``,
/// `CivilDate(daysSince1970: days).daysSince1970 == days`, and the date is valid (month 1–12, day within its
/// month). `daysSince1970` needs a month from 1 to 12 (callers check it first); it is linear in `day`, so a day
/// past its month's end counts on into the next month (February 30th is March 1st or 2nd).
package struct CivilDate: Sendable, Hashable {
    /// The astronomical year (0 is 1 BC).
    package var year: Int
    /// 1 (January) to 12.
    package var month: Int
    /// 1 to the month's length.
    package var day: Int

    /// The day counts the conversions handle without overflow (a margin below `Int`'s bounds: the algorithms shift
    /// the count by 719,468 days and work in 400-year eras).
    package static let supportedDays = (Int.min / 2)...(Int.max / 2)

    @inlinable
    package init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `days` days after 1970-01-01 (before it when negative): Hinnant's `civil_from_days`.
    ///
    /// - Precondition: `days` is in ``supportedDays`` (checked only by overflow traps).
    @inlinable
    package init(daysSince1970 days: Int) {
        let shifted = days + 719_468  // days since 0000-03-01, the start of an era
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097  // 0…146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365  // 0…399
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // 0…365, from March 1
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0…11, March = 0
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        self.init(
            year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0),
            month: month,
            day: dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        )
    }

    /// Days from 1970-01-01 to this date (negative before it): Hinnant's `days_from_civil`.
    ///
    /// - Precondition: `month` is 1…12 and the day count is in ``supportedDays``.
    @inlinable
    package var daysSince1970: Int {
        let marchYear = month <= 2 ? year - 1 : year  // years start on March 1, so a leap day ends its year
        let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfEra = marchYear - era * 400  // 0…399
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1  // 0…365, from March 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear  // 0…146096
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Days in `month` of `year` (28 to 31).
    @inlinable
    package static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Whether `year` has a February 29th: divisible by 4, and not by 100 unless by 400.
    @inlinable
    package static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }
}
