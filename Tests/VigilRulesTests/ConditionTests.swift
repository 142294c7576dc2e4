import Testing

@testable import VigilRules

@Suite struct ConditionTests {
    /// Precedence: `not` binds tighter than `and`, which binds tighter than `or`.
    @Test(arguments: [
        ("a or b and c", ConditionExpression.or([.identifier("a"), .and([.identifier("b"), .identifier("c")])])),
        ("not a and b", .and([.not(.identifier("a")), .identifier("b")])),
        ("not (a and b)", .not(.and([.identifier("a"), .identifier("b")]))),
        ("a and (b or c)", .and([.identifier("a"), .or([.identifier("b"), .identifier("c")])])),
        ("1 of sel* and not all of filter_*", .and([.oneOf(pattern: "sel*"), .not(.allOf(pattern: "filter_*"))])),
        ("all of them", .allOf(pattern: nil)),
        ("1 of them", .oneOf(pattern: nil)),
        ("a AND NOT b OR c", .or([.and([.identifier("a"), .not(.identifier("b"))]), .identifier("c")])),
    ])
    func parses(text: String, expected: ConditionExpression) throws {
        #expect(try ConditionParser.parse(text) == expected)
    }

    @Test(arguments: ["", "a and", "(a", "a b", "and a", "2 of them", "1 of", "a) or b", "sel | count() > 5"])
    func rejects(text: String) {
        #expect(throws: RuleProblem.self) { try ConditionParser.parse(text) }
    }

    /// Truth table of `a or b and c` against the detections a, b, c.
    @Test(arguments: [(false, true, false, false), (false, true, true, true), (true, false, false, true)])
    func precedenceEvaluates(a: Bool, b: Bool, c: Bool, expected: Bool) throws {
        let detection = "a:\n    a: 'x'\nb:\n    b: 'x'\nc:\n    c: 'x'\ncondition: a or b and c"
        let json = "{" + [("a", a), ("b", b), ("c", c)].map { "\"\($0.0)\":\"\($0.1 ? "x" : "no")\"" }.joined(separator: ",") + "}"
        #expect(try matches(detection, json) == expected)
    }

    /// `them` skips detections whose names start with `_`; an explicit pattern does not.
    @Test func themSkipsUnderscoreNames() throws {
        let detection = "sel:\n    a: 'x'\n_helper:\n    b: 'x'\ncondition: all of them"
        #expect(try matches(detection, #"{"a":"x","b":"no"}"#))
        let explicit = "sel:\n    a: 'x'\n_helper:\n    b: 'x'\ncondition: all of *"
        #expect(try !matches(explicit, #"{"a":"x","b":"no"}"#))
    }

    @Test func oneOfPattern() throws {
        let detection = "selection_a:\n    a: 'x'\nselection_b:\n    b: 'x'\nfilter:\n    c: 'x'\ncondition: 1 of selection_* and not filter"
        #expect(try matches(detection, #"{"b":"x"}"#))
        #expect(try !matches(detection, #"{"b":"x","c":"x"}"#))
        #expect(try !matches(detection, #"{"c":"x"}"#))
    }

    @Test func listOfConditionsIsOr() throws {
        let detection = "a:\n    a: 'x'\nb:\n    b: 'x'\ncondition:\n    - a\n    - b"
        #expect(try matches(detection, #"{"b":"x"}"#))
        #expect(try !matches(detection, #"{"c":"x"}"#))
    }

    @Test func unknownIdentifiersAndEmptyPatternsAreLoadErrors() {
        #expect(throws: RuleLoadFailure.self) { try ruleSet(detection: "sel:\n    a: 'x'\ncondition: sel and other") }
        #expect(throws: RuleLoadFailure.self) { try ruleSet(detection: "sel:\n    a: 'x'\ncondition: 1 of filter_*") }
    }
}
