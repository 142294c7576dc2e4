import Testing
import VigilCore

/// The string-aware bracket tracker both CloudTrail readers split arrays with: brackets, commas and quotes inside
/// strings (escaped quotes and backslashes too) change nothing.
@Suite struct JSONBracketTrackerTests {
    /// Feeds `text` and returns, for each byte, the depth after it and the event it made (as a short name).
    static func trace(_ text: String) -> [(depth: Int, event: String)] {
        var tracker = JSONBracketTracker()
        return text.utf8.map { byte in
            let event = tracker.feed(byte)
            let name: String
            switch event {
            case .open?: name = "open"
            case .close?: name = "close"
            case .comma?: name = "comma"
            case .stringStart?: name = "quote"
            case .stringEnd?: name = "unquote"
            case nil: name = "-"
            }
            return (tracker.depth, name)
        }
    }

    @Test func structureOutsideStringsCounts() {
        let steps = Self.trace(#"[{"a":1},[2]]"#)
        #expect(steps.map(\.depth) == [1, 2, 2, 2, 2, 2, 2, 1, 1, 2, 2, 1, 0])
        #expect(steps.map(\.event) == ["open", "open", "quote", "-", "unquote", "-", "-", "close", "comma", "open", "-", "close", "close"])
    }

    @Test(arguments: [#""[{,}]""#, #""a\"[,""#, #""\\""#, #""\\\"]""#])
    func bracketsCommasAndEscapedQuotesInsideAStringChangeNothing(string: String) {
        let steps = Self.trace(string)
        #expect(steps.first?.event == "quote")
        #expect(steps.last?.event == "unquote")
        #expect(steps.dropFirst().dropLast().allSatisfy { $0.event == "-" })
        #expect(steps.allSatisfy { $0.depth == 0 })
    }

    @Test func closingMoreThanWasOpenedGoesNegative() {
        // A reader that starts inside an array sees the array's end as depth -1.
        let steps = Self.trace(#"1, {"x": "]"}]"#)
        #expect(steps.last!.depth == -1 && steps.last!.event == "close")
        #expect(steps.dropLast().allSatisfy { $0.depth >= 0 })
    }
}
