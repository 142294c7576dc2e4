import Foundation
import Testing

@testable import VigilCore

/// Fixtures for ingest tests.
enum IngestFixture {
    /// The decoders' "now": 2024-06-01T00:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_717_200_000)

    static let valid: JSONObject = [
        "source": "guardduty",
        "external_id": "gd-0001",
        "kind": "UnauthorizedAccess:IAMUser/MaliciousIPCaller",
        "severity": 8.2,
        "occurred_at": "2024-05-01T12:00:00Z",
        "principal": "arn:aws:iam::123456789012:user/alice",
        "resource": "arn:aws:s3:::prod-bucket",
        "account": "123456789012",
        "source_ip": "::ffff:203.0.113.7",
        "payload": ["detail": ["type": "Recon", "count": 3], "tags": ["a", "b"]],
    ]

    static func object(_ changes: [String: JSONValue?] = [:], base: JSONObject = valid) -> JSONObject {
        var object = base
        for (key, value) in changes { object[key] = value }
        return object
    }

    static func ndjson(_ objects: [JSONObject]) -> [UInt8] {
        Array(objects.map { JSONValue.object($0).jsonText }.joined(separator: "\n").utf8)
    }

    static func jsonArray(_ objects: [JSONObject]) -> [UInt8] {
        Array(JSONValue.array(objects.map { .object($0) }).jsonText.utf8)
    }

    static func decoder(_ configuration: IngestDecoder.Configuration = .init()) -> IngestDecoder {
        try! IngestDecoder(configuration: configuration)
    }

    static func decode(_ text: String, _ contentType: String = "application/x-ndjson", decoder: IngestDecoder = decoder())
        throws(IngestError) -> IngestBatch
    {
        try decoder.decode(body: Array(text.utf8), contentType: contentType, now: now)
    }

    /// Decodes one object as a one-line NDJSON body.
    static func decodeOne(_ object: JSONObject, decoder: IngestDecoder = decoder()) -> IngestBatch.Item {
        let batch = try! decoder.decode(body: ndjson([object]), contentType: "application/x-ndjson", now: now)
        return batch.items[0]
    }
}

extension IngestBatch.Item {
    var alert: DecodedAlert? { if case .accepted(let alert) = self { alert } else { nil } }
    var rejection: IngestRejection? { if case .rejected(let rejection) = self { rejection } else { nil } }
}

@Suite("IngestDecoder: bodies")
struct IngestDecoderBodyTests {
    @Test("a valid NDJSON item becomes an alert with every field")
    func validItem() throws {
        let decoded = try #require(IngestFixture.decodeOne(IngestFixture.valid).alert)
        let alert = decoded.alert
        #expect(alert.source == "guardduty")
        #expect(alert.externalID == "gd-0001")
        #expect(alert.kind == "UnauthorizedAccess:IAMUser/MaliciousIPCaller")
        #expect(alert.severity == .high)
        #expect(alert.occurredAt == Date(timeIntervalSince1970: 1_714_564_800))
        #expect(alert.principal == "arn:aws:iam::123456789012:user/alice")
        #expect(alert.resource == "arn:aws:s3:::prod-bucket")
        #expect(alert.account == "123456789012")
        #expect(alert.sourceIP == "203.0.113.7")
        #expect(alert.payload == ["detail": ["type": "Recon", "count": 3], "tags": ["a", "b"]])
        #expect(decoded.payloadJSON == #"{"detail":{"type":"Recon","count":3},"tags":["a","b"]}"#)
        #expect(decoded.line == 1)
    }

    @Test("NDJSON: blank lines and CRLF are skipped; indexes count items, lines count lines")
    func ndjsonBlankLines() throws {
        let a = JSONValue.object(IngestFixture.object(["external_id": "a"])).jsonText
        let b = JSONValue.object(IngestFixture.object(["external_id": "b"])).jsonText
        let body = "\r\n\(a)\r\n   \n\t\n\(b)\r\n\n"
        let batch = try IngestFixture.decode(body)
        #expect(batch.items.count == 2)
        #expect(batch.items.map { $0.alert?.alert.externalID } == ["a", "b"])
        #expect(batch.items.map { $0.alert?.line } == [2, 5])
    }

    @Test("NDJSON: a malformed line is rejected with its line number and the rest is decoded")
    func ndjsonMalformedLine() throws {
        let good = JSONValue.object(IngestFixture.valid).jsonText
        let other = JSONValue.object(IngestFixture.object(["external_id": "gd-0002"])).jsonText
        let body = "\(good)\n\n{\"source\": \"x\", \"kind\": tru}\n\(other)\n[1, 2]\n{\"a\":1,\"a\":2}"
        let batch = try IngestFixture.decode(body)
        #expect(batch.items.count == 5)
        #expect(batch.acceptedCount == 2 && batch.rejectedCount == 3)
        let malformed = try #require(batch.items[1].rejection)
        #expect(malformed.code == .malformedJSON)
        #expect(malformed.field == "$")
        #expect(malformed.line == 3)
        #expect(malformed.reason.contains("line 3, column 28"), "\(malformed.reason)")
        #expect(batch.items[2].alert?.alert.externalID == "gd-0002")
        #expect(batch.items[3].rejection?.code == .notAnObject)
        #expect(batch.items[3].rejection?.reason == "expected an alert object, found array")
        #expect(batch.items[4].rejection?.code == .malformedJSON)
        #expect(batch.items[4].rejection?.reason.contains("duplicate key") == true)
        #expect(batch.items[4].rejection?.line == 6)
    }

    @Test("JSON array: items in order, non-objects rejected alone")
    func jsonArray() throws {
        let body = "[" + JSONValue.object(IngestFixture.valid).jsonText + ", 1, \"x\", null, {}]"
        let batch = try IngestFixture.decode(body, "application/json")
        #expect(batch.items.count == 5)
        #expect(batch.items[0].alert?.alert.externalID == "gd-0001")
        #expect(batch.items[1...3].map { $0.rejection?.code } == [.notAnObject, .notAnObject, .notAnObject])
        #expect(batch.items[4].rejection?.code == .missing)
        #expect(batch.items[4].rejection?.field == "source")
        #expect(try IngestFixture.decode("[]", "application/json").items.isEmpty)
        #expect(try IngestFixture.decode(" [ \n ] \n", "application/json").items.isEmpty)
    }

    @Test("JSON: a single object is a batch of one")
    func singleObject() throws {
        let batch = try IngestFixture.decode(JSONValue.object(IngestFixture.valid).jsonText, "application/json; charset=UTF-8")
        #expect(batch.items.count == 1)
        #expect(batch.acceptedCount == 1)
    }

    @Test("JSON array: an item with malformed JSON inside is rejected alone, with its body position")
    func jsonArrayItemMalformed() throws {
        let good = JSONValue.object(IngestFixture.valid).jsonText
        let body = "[\n\(good),\n  {\"source\": \"a\",\n   \"kind\": \"b\\q\"},\n  {\"x\": 1, \"x\": 2}\n]"
        let batch = try IngestFixture.decode(body, "application/json")
        #expect(batch.items.count == 3)
        #expect(batch.items[0].alert != nil)
        let escape = try #require(batch.items[1].rejection)
        #expect(escape.code == .malformedJSON)
        #expect(escape.line == 3)
        #expect(escape.reason.contains("invalid escape at line 4, column 14"), "\(escape.reason)")
        let duplicate = try #require(batch.items[2].rejection)
        #expect(duplicate.reason.contains("duplicate key at line 5, column 12"), "\(duplicate.reason)")
        #expect(duplicate.reason.contains("\"x\""))
    }

    @Test(
        "JSON: a broken array structure is one error naming line and column",
        arguments: [
            ("[{\"a\": 1} {\"b\": 2}]", 1, 11),
            ("[\n  {\"a\": 1},\n  {\"b\": [1, 2}\n]", 3, 14),
            ("[{\"a\": \"unterminated}]", 1, 8),
            ("[{\"a\": 1},]", 1, 11),
            ("[{\"a\": 1}", 1, 10),
            ("[{\"a\": 1}] x", 1, 12),
            ("", 1, 1),
            ("   ", 1, 4),
            ("\"just a string\"", 1, 1),
            ("[,]", 1, 2),
            ("{\"a\": 1} {}", 1, 10),
            ("[{\"a\": [}]]", 1, 9),
        ] as [(String, Int, Int)])
    func jsonStructureErrors(body: String, line: Int, column: Int) {
        #expect {
            _ = try IngestFixture.decode(body, "application/json")
        } throws: { error in
            guard let error = error as? IngestError else { return false }
            return error.code == .malformedBody && error.line == line && error.column == column
        }
    }

    @Test("a body error's message carries no body text")
    func bodyErrorHasNoText() {
        do {
            _ = try IngestFixture.decode("[{\"secret\": \"hunter2-SECRET\"} oops]", "application/json")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .malformedBody)
            #expect(!error.description.contains("SECRET") && !error.description.contains("oops"))
        }
    }

    @Test("content types")
    func contentTypes() throws {
        let body = JSONValue.object(IngestFixture.valid).jsonText
        for type in ["application/json", "Application/JSON", "application/json;charset=utf-8", "application/json; charset=\"UTF8\""] {
            #expect(try IngestFixture.decode(body, type).acceptedCount == 1, "\(type)")
        }
        for type in ["application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines; charset=utf-8"] {
            #expect(try IngestFixture.decode(body, type).acceptedCount == 1, "\(type)")
        }
        for type in ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "", "json"] {
            #expect(throws: IngestError.self) { try IngestFixture.decode(body, type) }
        }
        #expect {
            try IngestFixture.decoder().decode(body: Array(body.utf8), contentType: nil, now: IngestFixture.now)
        } throws: { ($0 as? IngestError)?.code == .unsupportedContentType }
    }

    @Test("a UTF-8 byte-order mark is skipped")
    func byteOrderMark() throws {
        let body = [0xEF, 0xBB, 0xBF] + IngestFixture.jsonArray([IngestFixture.valid])
        #expect(try IngestFixture.decoder().decode(body: body, contentType: "application/json", now: IngestFixture.now).acceptedCount == 1)
    }

    @Test("a non-contiguous body decodes the same")
    func nonContiguousBody() throws {
        let bytes = IngestFixture.ndjson([IngestFixture.valid, IngestFixture.object(["external_id": "2"])])
        let lazy = bytes.lazy.map { $0 }
        let batch = try IngestFixture.decoder().decode(body: lazy, contentType: "application/x-ndjson", now: IngestFixture.now)
        #expect(batch.acceptedCount == 2)
    }

    @Test("more items than maxItems refuse the whole body; blank lines do not count")
    func maxItems() throws {
        let decoder = IngestFixture.decoder(.init(maxItems: 2))
        let one = IngestFixture.object(["external_id": "1"])
        let two = IngestFixture.object(["external_id": "2"])
        let three = IngestFixture.object(["external_id": "3"])
        let ndjsonTwo = String(decoding: IngestFixture.ndjson([one, two]), as: UTF8.self) + "\n\n\n"
        #expect(try IngestFixture.decode(ndjsonTwo, decoder: decoder).items.count == 2)
        #expect(try decoder.decode(body: IngestFixture.jsonArray([one, two]), contentType: "application/json", now: IngestFixture.now)
            .items.count == 2)
        for (body, type) in [
            (IngestFixture.ndjson([one, two, three]), "application/x-ndjson"),
            (IngestFixture.jsonArray([one, two, three]), "application/json"),
            // Rejected items count too: the limit bounds work, not successes.
            (Array("[1, 2, 3]".utf8), "application/json"),
        ] {
            #expect {
                try decoder.decode(body: body, contentType: type, now: IngestFixture.now)
            } throws: { ($0 as? IngestError)?.code == .tooManyItems }
        }
    }

    @Test("duplicates within a batch point at the first item with the same source and external id")
    func duplicates() throws {
        let first = IngestFixture.object(["external_id": "dup", "severity": "low"])
        let sameKeyOtherContent = IngestFixture.object(["external_id": "dup", "severity": "critical", "kind": "other"])
        let otherSource = IngestFixture.object(["external_id": "dup", "source": "siem"])
        let rejectedSameKey = IngestFixture.object(["external_id": "dup2", "severity": "bogus"])
        let validAfterRejected = IngestFixture.object(["external_id": "dup2"])
        let batch = try IngestFixture.decoder().decode(
            body: IngestFixture.jsonArray([first, sameKeyOtherContent, otherSource, rejectedSameKey, validAfterRejected, first]),
            contentType: "application/json", now: IngestFixture.now)
        #expect(batch.items[0].alert != nil)
        #expect(batch.items[1] == .duplicate(of: 0))
        #expect(batch.items[2].alert?.alert.source == "siem")
        #expect(batch.items[3].rejection?.field == "severity")
        #expect(batch.items[4].alert?.alert.externalID == "dup2")
        #expect(batch.items[5] == .duplicate(of: 0))
        #expect((batch.acceptedCount, batch.duplicateCount, batch.rejectedCount) == (3, 2, 1))
        #expect(batch.accepted.map(\.index) == [0, 2, 4])
    }

    @Test("nesting: too deep a payload rejects the item; absurd nesting refuses the body")
    func depth() throws {
        let decoder = IngestFixture.decoder(.init(maxPayloadDepth: 4, maxBodyDepth: 10))
        func payload(depth: Int) -> JSONValue {
            (1..<depth).reduce(JSONValue.object(["x": 1])) { inner, _ in .object(["x": inner]) }
        }
        let ok = IngestFixture.object(["external_id": "ok", "payload": payload(depth: 4)])
        let deep = IngestFixture.object(["external_id": "deep", "payload": payload(depth: 5)])
        let deeper = IngestFixture.object(["external_id": "deeper", "payload": payload(depth: 8)])
        let batch = try decoder.decode(body: IngestFixture.jsonArray([ok, deep, deeper]), contentType: "application/json", now: IngestFixture.now)
        #expect(batch.items[0].alert != nil)
        #expect(batch.items[1].rejection?.code == .tooDeep)
        #expect(batch.items[1].rejection?.field == "payload")
        #expect(batch.items[2].rejection?.code == .tooDeep)
        let absurd = IngestFixture.object(["external_id": "absurd", "payload": payload(depth: 9)])
        #expect {
            try decoder.decode(body: IngestFixture.jsonArray([ok, absurd]), contentType: "application/json", now: IngestFixture.now)
        } throws: { ($0 as? IngestError)?.code == .malformedBody }
        // In NDJSON the same item is one level shallower, within the body limit, and rejected alone; one level deeper
        // the line's JSON is refused by the parser, still alone.
        let tooDeepForParser = IngestFixture.object(["external_id": "absurd", "payload": payload(depth: 10)])
        let lines = try decoder.decode(
            body: IngestFixture.ndjson([absurd, ok, tooDeepForParser]), contentType: "application/x-ndjson", now: IngestFixture.now)
        #expect(lines.items[0].rejection?.code == .tooDeep)
        #expect(lines.items[2].rejection?.code == .malformedJSON)
        #expect(lines.items[2].rejection?.reason.contains("nesting too deep") == true)
        #expect(lines.items[1].alert != nil)
    }

    @Test("payload size: measured on the text as sent; huge items are refused unparsed")
    func payloadSize() throws {
        let decoder = IngestFixture.decoder(.init(maxPayloadBytes: 100))
        // {"s":"<n x>"} is n + 8 bytes.
        let fits = IngestFixture.object(["external_id": "fits", "payload": ["s": .string(String(repeating: "x", count: 92))]])
        let over = IngestFixture.object(["external_id": "over", "payload": ["s": .string(String(repeating: "x", count: 93))]])
        func spaced(_ id: String, _ count: Int) -> String {
            "{\"source\":\"s\",\"external_id\":\"\(id)\",\"kind\":\"k\",\"severity\":\"low\",\"occurred_at\":\"2024-05-01T00:00:00Z\","
                + "\"payload\":{ \"s\" : \"\(String(repeating: "x", count: count))\" }}"
        }
        let huge = "{\"source\":\"s\",\"external_id\":\"huge\",\"payload\":\"\(String(repeating: "y", count: 70_000))\"}"
        let body = [JSONValue.object(fits).jsonText, JSONValue.object(over).jsonText, spaced("spaced", 88), spaced("spaced-over", 89), huge]
            .joined(separator: "\n")
        let batch = try decoder.decode(body: Array(body.utf8), contentType: "application/x-ndjson", now: IngestFixture.now)
        #expect(batch.items[0].alert?.payloadJSON.utf8.count == 100)
        #expect(batch.items[1].rejection?.code == .tooLarge)
        #expect(batch.items[1].rejection?.field == "payload")
        // White space as sent counts: 88 x's plus 12 bytes of JSON and spaces fit, 89 do not.
        #expect(batch.items[2].alert?.payloadJSON == "{ \"s\" : \"\(String(repeating: "x", count: 88))\" }")
        #expect(batch.items[3].rejection?.code == .tooLarge)
        #expect(batch.items[4].rejection?.code == .tooLarge)
        #expect(batch.items[4].rejection?.field == "$")
    }

    @Test("the payload text is the producer's own bytes, found past tricky members; escaped keys fall back to serialisation")
    func payloadText() throws {
        let tricky = #"{"kind":"a\"}{,[","source":"s","external_id":"t","severity":"low","occurred_at":"2024-05-01T00:00:00Z","#
            + #""principal":"p","payload" :  {"b": [1, 2.50, {"c": "\u00e9\"}"}], "a": null}  , "resource":"r"}"#
        let escapedKey = #"{"kind":"k","source":"s","external_id":"e","severity":"low","occurred_at":"2024-05-01T00:00:00Z","#
            + #""pay\u006coad": {"b":  1}}"#
        let batch = try IngestFixture.decode(tricky + "\n" + escapedKey)
        let first = try #require(batch.items[0].alert)
        #expect(first.payloadJSON == #"{"b": [1, 2.50, {"c": "\u00e9\"}"}], "a": null}"#)
        #expect(try JSONParser().parse(first.payloadJSON) == first.alert.payload)
        let second = try #require(batch.items[1].alert)
        #expect(second.payloadJSON == #"{"b":1}"#)
    }

    @Test("configuration is validated")
    func configuration() {
        let invalid: [IngestDecoder.Configuration] = [
            .init(maxItems: 0), .init(maxPayloadBytes: 1), .init(maxPayloadDepth: 0), .init(maxPayloadDepth: 10, maxBodyDepth: 11),
            .init(maxBodyDepth: 20_000), .init(maxFutureSkew: .seconds(-1)),
        ]
        for configuration in invalid {
            #expect(throws: IngestError.self) { try IngestDecoder(configuration: configuration) }
        }
        #expect(throws: Never.self) { try IngestDecoder(configuration: .init(maxPayloadDepth: 10, maxBodyDepth: 12)) }
    }
}
