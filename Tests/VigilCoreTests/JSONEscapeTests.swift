import Testing
import VigilCore

/// `JSONValue.writeQuoted`'s escaping path appends unescaped runs whole; its output must equal the scalar-by-scalar
/// escaping it replaced, and parse back to the same string.
struct JSONEscapeTests {
    /// The previous implementation, scalar by scalar: the reference.
    static func reference(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    @Test(arguments: [
        "plain", "a \"quoted\" word", "back\\slash", "line\nbreak\r\ttab", "\u{0}\u{1}\u{1f}end", "\"", "\"\"", "\\\\\"",
        // A quote that begins a grapheme cluster (a combining mark follows it), and multi-byte text around escapes.
        "\"\u{301}x", "é\"ü\n漢字\t🙂\"", "👩‍👩‍👧\"\u{200d}", "\u{7f}\u{80}\"\u{2028}",
    ])
    func escapingMatchesTheReference(text: String) throws {
        var out = ""
        JSONValue.writeQuoted(text, to: &out)
        #expect(out == Self.reference(text))
        #expect(try JSONParser().parse("[" + out + "]") == .array([.string(text)]))
    }

    @Test func longTextWithManyEscapes() throws {
        let text = String(repeating: "{\"evidence_id\": \"ct-0001\", \"note\": \"ünïcode\\n\"}\n", count: 500)
        var out = ""
        JSONValue.writeQuoted(text, to: &out)
        #expect(out == Self.reference(text))
    }
}
