import Testing

@testable import VigilCore

@Suite("IngestResponse")
struct IngestResponseTests {
    @Test("accepted, stored duplicates, in-batch duplicates and rejections become the documented body")
    func body() throws {
        let first = IngestFixture.object(["external_id": "one"])
        let known = IngestFixture.object(["external_id": "known"])
        let bad = IngestFixture.object(["external_id": "bad", "source_ip": "SECRET-not-an-ip"])
        let text = String(decoding: IngestFixture.ndjson([first, known, bad, first, known]), as: UTF8.self)
        let batch = try IngestFixture.decode(text)
        let response = IngestResponse(batch: batch, stored: [0: .inserted(id: "a-1"), 1: .existing(id: "a-0")])
        #expect((response.acceptedCount, response.duplicateCount, response.rejectedCount) == (1, 3, 1))
        let expected = #"{"results":[{"index":0,"status":"accepted","id":"a-1"},{"index":1,"status":"duplicate","id":"a-0"},"#
            + #"{"index":2,"status":"rejected","error":{"field":"source_ip","reason":"must be an IPv4 or IPv6 address without "#
            + #"zone or port","line":3}},{"index":3,"status":"duplicate","id":"a-1"},{"index":4,"status":"duplicate","id":"a-0"}],"#
            + #""accepted":1,"duplicates":3,"rejected":1}"#
        #expect(response.json.jsonText == expected)
        #expect(response.jsonText == expected)
        #expect(!response.json.jsonText.contains("SECRET"))
    }

    @Test("an empty batch answers with empty results")
    func empty() throws {
        let response = IngestResponse(batch: try IngestFixture.decode("", "application/x-ndjson"), stored: [:])
        #expect(response.json.jsonText == #"{"results":[],"accepted":0,"duplicates":0,"rejected":0}"#)
        #expect(response.jsonText == response.json.jsonText)
    }

    @Test("the directly written text equals the tree's on mutated bodies (rejections with quotes, escapes, lines)")
    func directText() throws {
        var rng = SplitMix64(seed: 99)
        let mutator = Mutator(alphabet: Array("{}[]\",:\\ \n0a-.\t".utf8) + [0x01, 0xFF])
        let objects = (0..<6).map { IngestFixture.object(["external_id": .string("id-\($0 % 4)"), "kind": .string($0 % 2 == 0 ? "k\"\\" : "k\t")]) }
        let body = IngestFixture.ndjson(objects)
        var rejected = 0
        for _ in 0..<500 {
            let batch = try IngestFixture.decoder().decode(body: mutator.damaged(body, using: &rng), format: .ndjson, now: IngestFixture.now)
            var stored: [Int: IngestResponse.Stored] = [:]
            for (index, _) in batch.accepted { stored[index] = index % 2 == 0 ? .inserted(id: "id\"\(index)") : .existing(id: "e\(index)") }
            let response = IngestResponse(batch: batch, stored: stored)
            #expect(response.jsonText == response.json.jsonText)
            rejected += response.rejectedCount
        }
        #expect(rejected > 100)
    }
}
