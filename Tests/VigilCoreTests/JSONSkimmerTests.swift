import Testing
import VigilCore

/// ``JSONSkimmer`` (the loader's and the ingest path's tree-free reader) accepts exactly the texts ``JSONParser``
/// accepts (duplicate keys aside: the skimmer leaves them to its caller), reports the depth the parser saw, and
/// decodes strings as the parser does.
@Suite struct JSONSkimmerTests {
    static let seeds = [
        #"{"a": [1, -2.5e3, true, false, null], "b": {"c": "x\"y\\z\/\b\f\n\r\t"}, "d": "\u00e9\ud83d\ude00\u0000"}"#,
        #"[[[[["deep"]]]], {"k": [{}, []]}, 0, -0, 1.0E+2, 123456789012345678901234567890]"#,
        #""caf\u00E9 \uD834\uDD1E""#,
        #"{"x":{"y":{"z":{"w":[1,[2,[3,[4]]]]}}}}"#,
        "  {\"plain\": \"ascii only\", \"n\": 42}  ",
    ]

    /// Skims one whole value: nil when the skimmer rejects it.
    static func skim(_ bytes: [UInt8], maxDepth: Int) -> (deepest: Int, text: String?)? {
        bytes.withUnsafeBufferPointer { buffer in
            var skimmer = JSONSkimmer(buffer, maxDepth: maxDepth)
            do {
                var text: String?
                if skimmer.peek() == UInt8(ascii: "\"") {
                    text = skimmer.text(try skimmer.stringToken())
                } else {
                    try skimmer.skipValue(depth: 0)
                }
                guard skimmer.peek() == nil else { return nil }
                return (skimmer.deepest, text)
            } catch {
                return nil
            }
        }
    }

    static func depth(_ value: JSONValue) -> Int {
        switch value {
        case .array(let items): 1 + (items.map(depth).max() ?? 0)
        case .object(let object): 1 + (object.members.map { depth($0.value) }.max() ?? 0)
        default: 0
        }
    }

    @Test func agreesWithTheParserOnDamagedTexts() {
        let mutator = Mutator(alphabet: Array(#"{}[]",:\"/ubfnrt0123456789.eE+-dD8Cx "#.utf8) + [0x00, 0x0A, 0x1F])
        var rng = SplitMix64(seed: 2026)
        var accepted = 0
        var rejected = 0
        for round in 0..<20_000 {
            let seed = Array(Self.seeds[round % Self.seeds.count].utf8)
            let text = round < Self.seeds.count ? seed : mutator.damaged(seed, using: &rng)
            let maxDepth = round % 3 == 0 ? 4 : 64
            let parsed = try? JSONParser(maxDepth: maxDepth, duplicateKeys: .lastWins).parse(text)
            let skimmed = Self.skim(text, maxDepth: maxDepth)
            #expect((parsed != nil) == (skimmed != nil), "round \(round): \(String(decoding: text, as: UTF8.self))")
            guard let parsed, let skimmed else {
                rejected += 1
                continue
            }
            accepted += 1
            #expect(skimmed.deepest == Self.depth(parsed), "round \(round)")
            if case .string(let string) = parsed { #expect(skimmed.text == string, "round \(round)") }
        }
        // Both outcomes must be well represented, or the comparison proves little.
        #expect(accepted > 1_000 && rejected > 1_000)
    }

    @Test func unescapeDecodesPairsAndRefusesLoneSurrogates() throws {
        func unescape(_ raw: String) throws -> String {
            try Array(raw.utf8).withUnsafeBufferPointer { buffer in try JSONParser.unescape(buffer) }
        }
        #expect(try unescape(#"a\u00e9\ud834\udd1e\n\/"#) == "a\u{e9}\u{1D11E}\n/")
        #expect(throws: JSONParser.UnescapeFailure.self) { try unescape(#"x\ud834"#) }
        #expect(throws: JSONParser.UnescapeFailure.self) { try unescape(#"x\udd1e"#) }
        #expect(throws: JSONParser.UnescapeFailure.self) { try unescape(#"x\q"#) }
        do {
            _ = try unescape(#"abc\u12G4"#)
            Issue.record("a bad hex digit was accepted")
        } catch let failure as JSONParser.UnescapeFailure {
            #expect(failure.code == .invalidEscape && failure.offset == 3)
        }
    }
}
