import Foundation
import Testing

@testable import VigilRules

/// Event times against Foundation's ISO 8601 calendar in UTC (Gregorian, weeks from Monday, week 1 holding the
/// year's first Thursday), over years where Foundation is Gregorian.
@Suite("EventTime")
struct EventTimeTests {
    @Test("parts and parsing equal Foundation's ISO 8601 calendar for one instant a day from 1600 to 2400")
    func partsMatchFoundation() throws {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let first = try #require(calendar.date(from: DateComponents(year: 1600, month: 1, day: 1)))
        let last = try #require(calendar.date(from: DateComponents(year: 2400, month: 12, day: 31)))
        let firstDay = Int(first.timeIntervalSince1970 / 86_400)
        let lastDay = Int(last.timeIntervalSince1970 / 86_400)
        var mismatches: [String] = []
        for day in firstDay...lastDay {
            // A different time of day each day, so hours and minutes vary too.
            let seconds = day * 86_400 + ((day * 7_919) % 86_400 + 86_400) % 86_400
            let parts = calendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .second, .weekOfYear], from: Date(timeIntervalSince1970: Double(seconds)))
            let time = EventTime(seconds: Double(seconds))
            let ours = ValueTest.TimePart.allCases.map { time.part($0) }
            let foundation = [parts.minute!, parts.hour!, parts.day!, parts.weekOfYear!, parts.month!, parts.year!]
            if ours != foundation { mismatches.append("\(seconds): \(ours) vs \(foundation) (\(ValueTest.TimePart.allCases))") }
            func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
            let text = "\(parts.year!)-\(two(parts.month!))-\(two(parts.day!))T\(two(parts.hour!)):\(two(parts.minute!)):\(two(parts.second!))Z"
            if EventTime.parse(text) != time { mismatches.append("\(text) parsed as \(String(describing: EventTime.parse(text)))") }
        }
        #expect(lastDay - firstDay == 292_559)
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
    }
}
