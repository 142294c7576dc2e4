import Foundation
import Testing

@testable import VigilCore

/// The skimming path (`payload: .textOnly`) against the parser path (`.value`): the same bodies must give the same
/// items, rejections included (same field, reason and line), and the same payload text; only `alert.payload` differs.
@Suite("IngestDecoder: skimming path vs parser path")
struct IngestItemSkimmerTests {
    /// The items of `body` decoded both ways, the parser path's payload values blanked; or the whole-body errors.
    static func bothWays(
        _ body: [UInt8], contentType: String = "application/x-ndjson", decoder: IngestDecoder = IngestFixture.decoder()
    ) -> (parsed: Result<[IngestBatch.Item], IngestError>, skimmed: Result<[IngestBatch.Item], IngestError>) {
        func run(_ form: IngestDecoder.PayloadForm) -> Result<[IngestBatch.Item], IngestError> {
            Result { () throws(IngestError) -> [IngestBatch.Item] in
                try decoder.decode(body: body, contentType: contentType, now: IngestFixture.now, payload: form).items
            }
        }
        let parsed = run(.value).map { items in
            items.map { item -> IngestBatch.Item in
                guard case .accepted(var decoded) = item else { return item }
                decoded.alert.payload = .null
                return .accepted(decoded)
            }
        }
        return (parsed, run(.textOnly))
    }

    static func expectSame(_ body: [UInt8], contentType: String = "application/x-ndjson", decoder: IngestDecoder = IngestFixture.decoder(),
                           sourceLocation: SourceLocation = #_sourceLocation) {
        let (parsed, skimmed) = bothWays(body, contentType: contentType, decoder: decoder)
        #expect(parsed == skimmed, "body \(String(decoding: body.prefix(200), as: UTF8.self).debugDescription)", sourceLocation: sourceLocation)
    }

    static func line(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// The required fields but `source`, closing the object.
    static let otherFields = #""external_id":"1","kind":"k","severity":"low","occurred_at":"2024-05-01T12:00:00Z"}"#

    /// A valid alert whose payload is `payload` (JSON text).
    static func item(payload: String, id: String = "gd-1") -> String {
        #"{"source":"guardduty","external_id":"\#(id)","kind":"k","severity":"high","occurred_at":"2024-05-01T12:00:00Z","payload":\#(payload)}"#
    }

    @Test("a typical item takes the skimming path and keeps its payload text byte for byte")
    func typical() throws {
        let text = Self.item(payload: #"{"detail": {"type": "Recon", "count": 3}, "tags": ["a", "b"], "x": -1.5e3, "y": null, "z": true}"#)
        let bytes = Self.line(text)
        let skim = try #require(bytes.withUnsafeBufferPointer { IngestItemSkimmer.skim($0, maxDepth: 128) })
        #expect(skim.members.map(\.key) == ["source", "external_id", "kind", "severity", "occurred_at", "payload"])
        #expect(skim.payloadShape?.depth == 2)
        #expect(skim.payloadShape?.containsNUL == false)
        let batch = try IngestFixture.decoder().decode(body: bytes, format: .ndjson, now: IngestFixture.now, payload: .textOnly)
        let decoded = try #require(batch.items[0].alert)
        #expect(decoded.alert.payload == .null)
        #expect(decoded.payloadJSON == #"{"detail": {"type": "Recon", "count": 3}, "tags": ["a", "b"], "x": -1.5e3, "y": null, "z": true}"#)
        Self.expectSame(bytes)
    }

    @Test("the skimmer's payload shape equals the parser's for nested payloads")
    func shapes() throws {
        for payload in [#"{}"#, #"{"a":[]}"#, #"{"a":[[{"b":[1]}]]}"#, #"{"a":"\u0000"}"#, #"{"a":["x\\u0000"]}"#, #"{"a":{"b":{"c":"\u0000y"}}}"#] {
            let bytes = Self.line(Self.item(payload: payload))
            let skim = try #require(bytes.withUnsafeBufferPointer { IngestItemSkimmer.skim($0, maxDepth: 128) })
            let parsed = IngestDecoder.PayloadShape(of: try JSONParser().parse(payload))
            #expect(skim.payloadShape?.depth == parsed.depth, "\(payload)")
            #expect(skim.payloadShape?.containsNUL == parsed.containsNUL, "\(payload)")
            Self.expectSame(bytes)
        }
    }

    @Test("the skimmer declines what it cannot judge exactly: escaped or non-ASCII keys, non-objects, broken text")
    func declines() {
        let texts = [
            #"{"p\u0061yload":{}}"#, #"{"source":"a","payload":{"\u0061":1,"a":2}}"#, #"{"payload":{"é":1,"é":2}}"#,
            "[1]", "\"x\"", #"{"a":1"#, #"{"a":1,}"#, #"{"a":01}"#, #"{"a":1e999}"#, #"{"a":"\ud800"}"#, #"{"a":"\udc00\ud800"}"#,
            #"{"a":"\x"}"#, "{\"a\":\"\u{01}\"}", #"{"a":tru}"#, #"{"a":1}x"#, #"{"a":1,"a":2}"#,
        ]
        for text in texts {
            let skim = Self.line(text).withUnsafeBufferPointer { IngestItemSkimmer.skim($0, maxDepth: 128) }
            #expect(skim == nil, "\(text)")
        }
        let invalidUTF8: [UInt8] = Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(invalidUTF8.withUnsafeBufferPointer { IngestItemSkimmer.skim($0, maxDepth: 128) } == nil)
    }

    @Test("hostile items are rejected the same way on both paths", arguments: [
        // invalid UTF-8, in a field, in the payload, in a key, outside strings, a surrogate encoded in UTF-8
        "INVALID_FIELD", "INVALID_PAYLOAD", "INVALID_KEY", "INVALID_OUTSIDE", "INVALID_SURROGATE",
        // NUL: a raw byte, escaped in a payload value, escaped in a payload key, escaped in a field, escaped backslash
        #"{"a":"x\u0000"}"#, #"{"a\u0000":1}"#, #"{"a":["\\u0000"]}"#, "RAW_NUL", "FIELD_NUL",
        // duplicate keys: top level, payload, deep, after 16 keys, equal only once unescaped, canonically equivalent
        "DUP_TOP", #"{"a":1,"b":2,"a":3}"#, #"{"a":{"b":{"c":1,"c":1}}}"#, "DUP_MANY", #"{"a":1,"\u0061":2}"#, "{\"é\":1,\"e\u{301}\":2}",
        // nesting: at the payload limit, one over, over the body limit
        "DEPTH_32", "DEPTH_33", "DEPTH_200",
        // numbers and literals
        #"{"n":123456789012345678901234567890}"#, #"{"n":1e400}"#, #"{"n":-0}"#, #"{"n":1.5e-400}"#, #"{"n":-}"#, #"{"n":.5}"#, #"{"t":nul}"#,
        // escapes
        #"{"s":"\ud83d\ude00"}"#, #"{"s":"\ud83d"}"#, #"{"s":"\ude00"}"#, #"{"s":"\u00e9\/\b\f\n\r\t"}"#, #"{"s":"\u12"}"#,
        // huge strings: within the item limit, and over it
        "HUGE_OK", "HUGE_OVER",
    ])
    func hostile(_ name: String) {
        var payload = name
        var item: [UInt8]?
        switch name {
        case "INVALID_FIELD":
            item = Self.line(#"{"source":"g"#) + [0xFF]
                + Self.line(#"","external_id":"1","kind":"k","severity":"low","occurred_at":"2024-05-01T12:00:00Z"}"#)
        case "INVALID_PAYLOAD": item = Self.line(Self.item(payload: "{\"a\":\"PLACE\"}")).replacing(Array("PLACE".utf8), with: [0xE2, 0x82])
        case "INVALID_KEY": item = Self.line(Self.item(payload: "{\"PLACE\":1}")).replacing(Array("PLACE".utf8), with: [0xC0, 0xAF])
        case "INVALID_OUTSIDE":
            item = Self.line(Self.item(payload: "{\"a\":1 PLACE}")).replacing(Array("PLACE".utf8), with: [0xC3, 0xA9])
        case "INVALID_SURROGATE":
            item = Self.line(Self.item(payload: "{\"a\":\"PLACE\"}")).replacing(Array("PLACE".utf8), with: [0xED, 0xA0, 0x80])
        case "RAW_NUL": item = Self.line(Self.item(payload: "{\"a\":\"PLACE\"}")).replacing(Array("PLACE".utf8), with: [0x00])
        case "FIELD_NUL": item = Self.line(#"{"source":"g\u0000","# + Self.otherFields)
        case "DUP_TOP": item = Self.line(#"{"source":"a","source":"b","# + Self.otherFields)
        case "DUP_MANY": payload = "{" + (0..<20).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k17\":0}"
        case "DEPTH_32": payload = String(repeating: "{\"a\":", count: 31) + "{}" + String(repeating: "}", count: 31)
        case "DEPTH_33": payload = String(repeating: "{\"a\":", count: 32) + "{}" + String(repeating: "}", count: 32)
        case "DEPTH_200": payload = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        case "HUGE_OK": payload = "{\"s\":\"" + String(repeating: "x", count: 900_000) + "\"}"
        case "HUGE_OVER": payload = "{\"s\":\"" + String(repeating: "x", count: 1_200_000) + "\"}"
        default: break
        }
        let bytes = item ?? Self.line(Self.item(payload: payload))
        let (parsed, skimmed) = Self.bothWays(bytes)
        #expect(parsed == skimmed)
        // Every case decodes to one item; the hostile ones are rejected, the few valid ones accepted.
        let items = (try? skimmed.get()) ?? []
        #expect(items.count == 1)
    }

    @Test("mutated NDJSON and JSON bodies: identical results on both paths")
    func mutatedBodies() {
        var rng = SplitMix64(seed: 777)
        let mutator = Mutator(alphabet: Array("{}[]\",:\\ \n0a-.eu".utf8) + [0x00, 0xFF, 0xC3, 0xA9])
        let objects = (0..<4).map { IngestFixture.object(["external_id": .string("id-\($0)")]) }
        let bodies = [(IngestFixture.ndjson(objects), "application/x-ndjson"), (IngestFixture.jsonArray(objects), "application/json")]
        var skimmedAccepted = 0
        for (body, contentType) in bodies {
            for _ in 0..<2_000 {
                let damaged = mutator.damaged(body, using: &rng)
                let (parsed, skimmed) = Self.bothWays(damaged, contentType: contentType)
                #expect(parsed == skimmed, "\(String(decoding: damaged, as: UTF8.self).debugDescription)")
                skimmedAccepted += ((try? skimmed.get()) ?? []).count { $0.alert != nil }
            }
        }
        // The comparison covered accepted items too, not only rejections.
        #expect(skimmedAccepted > 1_000)
    }

    @Test("a small payload limit and unknown-field policy apply the same on both paths")
    func configurations() {
        var small = IngestDecoder.Configuration()
        small.maxPayloadBytes = 40
        small.maxPayloadDepth = 2
        var ignoring = IngestDecoder.Configuration()
        ignoring.unknownFields = .ignore
        for configuration in [small, ignoring] {
            let decoder = IngestFixture.decoder(configuration)
            let payloads = [
                #"{"a":1}"#, #"{"a":"0123456789012345678901234567890123456789"}"#, #"{"a":{"b":{}}}"#, #"{"a":[1]}"#, "[]", "\"x\"", "null", "7",
            ]
            for payload in payloads {
                Self.expectSame(Self.line(Self.item(payload: payload)), decoder: decoder)
            }
            let extra = #"{"source":"g","external_id":"1","kind":"k","severity":"low","occurred_at":"2024-05-01T12:00:00Z","extra":{"a":1}}"#
            Self.expectSame(Self.line(extra), decoder: decoder)
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func replacing(_ target: [UInt8], with replacement: [UInt8]) -> [UInt8] {
        guard let start = indices.first(where: { self[$0...].starts(with: target) }) else { return self }
        return Array(self[..<start]) + replacement + Array(self[(start + target.count)...])
    }
}
