import Testing

@testable import VigilCore

@Suite("JSONValue serialisation")
struct JSONValueSerializationTests {
    @Test(
        "strings are escaped exactly where JSON needs it, with and without the fast path",
        arguments: [
            ("plain", #""plain""#), ("", #""""#), ("quote\"inside", #""quote\"inside""#), ("back\\slash", #""back\\slash""#),
            ("line\nbreak", #""line\nbreak""#), ("tab\there", #""tab\there""#), ("cr\r", #""cr\r""#),
            ("nul\u{0}bell\u{7}", #""nul\u0000bell\u0007""#), ("del\u{7F}", "\"del\u{7F}\""), ("é ☃ 🦊", "\"é ☃ 🦊\""),
            ("slash/ok", #""slash/ok""#),
        ])
    func escaping(text: String, expected: String) throws {
        let value = JSONValue.string(text)
        #expect(value.jsonText == expected)
        #expect(try JSONParser().parse(value.jsonText) == value)
    }

    @Test("random strings round-trip through text")
    func roundTrip() throws {
        var rng = SplitMix64(seed: 21)
        let pool: [Unicode.Scalar] = ["a", "Z", " ", "\"", "\\", "\n", "\u{0}", "\u{1F}", "\u{7F}", "é", "\u{2028}", "🦊", "/"]
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<(rng.next() % 12) { text.unicodeScalars.append(pool[Int(rng.next() % UInt64(pool.count))]) }
            let value: JSONValue = ["k\(text)": .string(text), "list": [.string(text)]]
            #expect(try JSONParser().parse(value.jsonText) == value)
        }
    }
}
