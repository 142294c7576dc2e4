import Testing

@testable import VigilCore

@Suite struct JSONParserTests {
    /// The error `text` produces, or nil when it parses.
    static func error(_ text: String, parser: JSONParser = JSONParser()) -> JSONParseError? {
        do {
            _ = try parser.parse(text)
            return nil
        } catch {
            return error
        }
    }

    static func error(bytes: [UInt8]) -> JSONParseError? {
        do {
            _ = try JSONParser().parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var code: JSONParseError.Code
        var line: Int
        var column: Int
        var testDescription: String { "\(code) ← \(text.debugDescription)" }
    }

    static let cases: [Case] = [
        Case(text: "", code: .unexpectedEnd, line: 1, column: 1),
        Case(text: "   ", code: .unexpectedEnd, line: 1, column: 4),
        Case(text: "[1, 2", code: .unexpectedEnd, line: 1, column: 6),
        Case(text: "{\"a\": 1", code: .unexpectedEnd, line: 1, column: 8),
        Case(text: "{\"a\"", code: .unexpectedEnd, line: 1, column: 5),
        Case(text: "\"abc", code: .unexpectedEnd, line: 1, column: 5),
        Case(text: "tru", code: .unexpectedEnd, line: 1, column: 1),
        Case(text: "-", code: .unexpectedEnd, line: 1, column: 2),
        Case(text: "{\n  \"a\": 1,\n", code: .unexpectedEnd, line: 3, column: 1),
        Case(text: "@", code: .unexpectedCharacter, line: 1, column: 1),
        Case(text: "[1,]", code: .unexpectedCharacter, line: 1, column: 4),
        Case(text: "{\"a\" 1}", code: .unexpectedCharacter, line: 1, column: 6),
        Case(text: "{a: 1}", code: .unexpectedCharacter, line: 1, column: 2),
        Case(text: "[1 2]", code: .unexpectedCharacter, line: 1, column: 4),
        Case(text: "{\"a\": 1 \"b\": 2}", code: .unexpectedCharacter, line: 1, column: 9),
        Case(text: "nul", code: .unexpectedEnd, line: 1, column: 1),
        Case(text: "nulx", code: .unexpectedCharacter, line: 1, column: 4),
        Case(text: "[\n  trux\n]", code: .unexpectedCharacter, line: 2, column: 6),
        Case(text: "'a'", code: .unexpectedCharacter, line: 1, column: 1),
        Case(text: "-a", code: .invalidNumber, line: 1, column: 2),
        Case(text: "1.", code: .invalidNumber, line: 1, column: 3),
        Case(text: "1.e5", code: .invalidNumber, line: 1, column: 3),
        Case(text: "1e", code: .invalidNumber, line: 1, column: 3),
        Case(text: "1e+", code: .invalidNumber, line: 1, column: 4),
        Case(text: "1e999", code: .invalidNumber, line: 1, column: 1),
        Case(text: "\"\\x\"", code: .invalidEscape, line: 1, column: 2),
        Case(text: "\"\\u12G4\"", code: .invalidEscape, line: 1, column: 2),
        Case(text: "\"\\uD800\"", code: .invalidEscape, line: 1, column: 2),
        Case(text: "\"\\uDC00\"", code: .invalidEscape, line: 1, column: 2),
        Case(text: "\"\\uD800\\u0041\"", code: .invalidEscape, line: 1, column: 2),
        Case(text: "\"a\\", code: .unexpectedEnd, line: 1, column: 4),
        Case(text: "\"a\tb\"", code: .controlCharacterInString, line: 1, column: 3),
        Case(text: "\"line\nbreak\"", code: .controlCharacterInString, line: 1, column: 6),
        Case(text: "{\"a\": 1, \"a\": 2}", code: .duplicateKey, line: 1, column: 10),
        Case(text: "1 2", code: .trailingData, line: 1, column: 3),
        Case(text: "{} x", code: .trailingData, line: 1, column: 4),
        Case(text: "[]\n\n]", code: .trailingData, line: 3, column: 1),
    ]

    @Test(arguments: cases)
    func errorCodeAndPosition(_ c: Case) throws {
        let error = try #require(Self.error(c.text))
        #expect(error.code == c.code)
        #expect(error.line == c.line)
        #expect(error.column == c.column)
    }

    @Test func offsetCountsBytesFromZero() throws {
        let error = try #require(Self.error("[1,\n ]"))
        #expect(error.offset == 5)
        #expect(error.line == 2 && error.column == 2)
    }

    @Test func invalidUTF8IsRejectedInPlainAndEscapedStrings() throws {
        // "a<0xFF>" and "\n<0xC3>" (a truncated sequence) inside quotes.
        let plain = try #require(Self.error(bytes: [0x22, 0x61, 0xFF, 0x22]))
        #expect(plain.code == .invalidUTF8)
        #expect(plain.column == 2)
        let escaped = try #require(Self.error(bytes: [0x22, 0x5C, 0x6E, 0xC3, 0x22]))
        #expect(escaped.code == .invalidUTF8)
    }

    @Test func depthLimitIsEnforcedForArraysAndObjects() throws {
        let parser = JSONParser(maxDepth: 3)
        #expect(Self.error("[[[1]]]", parser: parser) == nil)
        let arrays = try #require(Self.error("[[[[1]]]]", parser: parser))
        #expect(arrays.code == .tooDeep)
        #expect(arrays.column == 4)
        let objects = try #require(Self.error("{\"a\":{\"b\":{\"c\":{\"d\":1}}}}", parser: parser))
        #expect(objects.code == .tooDeep)
        #expect(Self.error(String(repeating: "[", count: 65) + String(repeating: "]", count: 65))?.code == .tooDeep)
    }

    @Test func stringLengthLimitCountsBytes() throws {
        let parser = JSONParser(maxStringBytes: 4)
        #expect(Self.error("\"abcd\"", parser: parser) == nil)
        let error = try #require(Self.error("[\"abcde\"]", parser: parser))
        #expect(error.code == .stringTooLong)
        #expect(error.column == 3)
        // "é" is two bytes: three of them exceed four bytes.
        #expect(Self.error("\"ééé\"", parser: parser)?.code == .stringTooLong)
    }

    @Test func duplicateKeysLastWinsWhenAsked() throws {
        let value = try JSONParser(duplicateKeys: .lastWins).parse("{\"a\": 1, \"b\": 2, \"a\": 3}")
        #expect(value == ["a": 3, "b": 2])
        #expect(value.objectValue?.keys == ["a", "b"])
    }

    @Test func duplicateKeysAreFoundInLargeObjects() throws {
        // Objects of 16 members or more switch from scanning to a set.
        let members = (0..<20).map { "\"k\($0)\": \($0)" }.joined(separator: ", ")
        let error = try #require(Self.error("{\(members), \"k3\": 0}"))
        #expect(error.code == .duplicateKey)
        #expect(error.key == "k3")
    }

    @Test func descriptionNamesPositionAndKeyButNeverTheText() throws {
        let secret = "AKIAIOSFODNN7EXAMPLE"
        let error = try #require(Self.error("{\"k\": \"\(secret)\", \"k\": 1}"))
        #expect(error.description == "duplicate key at line 1, column 31 (key \"k\")")
        let other = try #require(Self.error("[\"\(secret)\" x]"))
        #expect(!other.description.contains(secret))
        #expect(other.description.hasPrefix("unexpected character at line 1"))
    }

    @Test func parsesEveryValueKind() throws {
        let value = try JSONParser().parse(
            " {\"n\": null, \"t\": true, \"f\": false, \"i\": -42, \"d\": 1.5e2, \"s\": \"a\\u00e9\\ud83d\\ude00\\n\", \"a\": [1, {}]} "
        )
        #expect(value["n"] == .null)
        #expect(value["t"] == true)
        #expect(value["f"] == false)
        #expect(value["i"] == .int(-42))
        #expect(value["d"] == .double(150))
        #expect(value["s"] == .string("aé😀\n"))
        #expect(value["a"] == [1, .object([:])])
    }

    @Test func integersBeyond64BitsBecomeDoubles() throws {
        #expect(try JSONParser().parse("9223372036854775807") == .int(Int64.max))
        #expect(try JSONParser().parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSONParser().parse("-0") == .int(0))
    }

    @Test func writesBackWhatItRead() throws {
        let text = "{\"b\":[1,2.5,\"x\\\"y\"],\"a\":{\"c\":null}}"
        #expect(try JSONParser().parse(text).jsonText == text)
    }
}
