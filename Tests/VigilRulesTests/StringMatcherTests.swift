import Testing

@testable import VigilRules

@Suite struct StringMatcherTests {
    /// Sigma wildcards and escapes (specification: "Wildcards" and "Escaping").
    @Test(arguments: [
        ("foo", "foo", true), ("foo", "FOO", true), ("foo", "foobar", false),
        ("foo*", "foobar", true), ("*bar", "foobar", true), ("*ob*", "foobar", true), ("*", "", true),
        ("f?o", "fxo", true), ("f?o", "fo", false), ("f?o", "f\u{e9}o", true),
        ("a*b*c", "aXXbYYc", true), ("a*b*c", "aXXcYYb", false), ("*a*a*", "banana", true),
        (#"\*"#, "*", true), (#"\*"#, "x", false), (#"\?"#, "?", true), (#"a\\*"#, #"a\bc"#, true),
        (#"C:\Windows"#, #"c:\windows"#, true), (#"\\server"#, #"\server"#, true),
        ("ÄRGER", "ärger", true), ("", "", true), ("", "x", false),
    ])
    func wildcards(pattern: String, text: String, expected: Bool) {
        #expect(StringMatcher(SigmaPattern(sigma: pattern)).matches(text) == expected)
    }

    @Test func casedIsCaseSensitive() {
        let matcher = StringMatcher(SigmaPattern(sigma: "Foo*"), caseSensitive: true)
        #expect(matcher.matches("Foobar"))
        #expect(!matcher.matches("foobar"))
    }

    @Test func simplePatternsCompileToFastTests() {
        #expect(StringMatcher(SigmaPattern(sigma: "abc")).kind == .equals)
        #expect(StringMatcher(SigmaPattern(sigma: "abc*")).kind == .prefix)
        #expect(StringMatcher(SigmaPattern(sigma: "*abc")).kind == .suffix)
        #expect(StringMatcher(SigmaPattern(sigma: "*abc*")).kind == .contains)
        #expect(StringMatcher(SigmaPattern(sigma: "a*c")).kind == .glob)
    }

    @Test func patternRoundTripsEscapes() {
        #expect(SigmaPattern(sigma: #"a\*b*"#).sigmaText == #"a\*b*"#)
        #expect(SigmaPattern(sigma: #"a\*b*"#).pieces == [.literal("a*b"), .anyRun])
    }
}
