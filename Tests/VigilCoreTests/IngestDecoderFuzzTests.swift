import Foundation
import Testing

@testable import VigilCore

@Suite("IngestDecoder: mutated bodies")
struct IngestDecoderFuzzTests {
    static let mutator = Mutator(alphabet: Array("{}[]\",:\\ \n0a-.".utf8) + [0x00, 0xFF, 0xC3])

    @Test("NDJSON: every non-blank line gets exactly one result, whatever the damage")
    func ndjson() throws {
        var rng = SplitMix64(seed: 1234)
        let objects = (0..<4).map { IngestFixture.object(["external_id": .string("id-\($0)")]) }
        let body = IngestFixture.ndjson(objects)
        let decoder = IngestFixture.decoder()
        let intact = Set(String(decoding: body, as: UTF8.self).split(separator: "\n").map(String.init))
        for _ in 0..<1_000 {
            let damaged = Self.mutator.damaged(body, using: &rng)
            let batch = try decoder.decode(body: damaged, contentType: "application/x-ndjson", now: IngestFixture.now)
            let nonBlank = damaged.split(separator: 0x0A, omittingEmptySubsequences: false).filter { line in
                line.contains { ![0x20, 0x09, 0x0D].contains($0) }
            }
            #expect(batch.items.count == nonBlank.count)
            // Undamaged lines are still accepted (or duplicates of one that is).
            let kept = nonBlank.filter { intact.contains(String(decoding: $0, as: UTF8.self)) }.count
            #expect(batch.acceptedCount + batch.duplicateCount >= kept)
        }
    }

    @Test("JSON: a damaged array either fails as a whole with a position, or gives a result per element")
    func jsonArray() {
        var rng = SplitMix64(seed: 4321)
        let objects = (0..<4).map { IngestFixture.object(["external_id": .string("id-\($0)")]) }
        let body = IngestFixture.jsonArray(objects)
        let decoder = IngestFixture.decoder()
        var wholeBodyErrors = 0
        var partial = 0
        for _ in 0..<1_000 {
            let damaged = Self.mutator.damaged(body, using: &rng)
            do {
                let batch = try decoder.decode(body: damaged, contentType: "application/json", now: IngestFixture.now)
                #expect(batch.items.count >= 1 && batch.items.count <= 6)
                if batch.rejectedCount > 0 && batch.acceptedCount > 0 { partial += 1 }
            } catch {
                #expect(error.code == .malformedBody)
                #expect(error.line != nil && error.column != nil)
                wholeBodyErrors += 1
            }
        }
        // Both paths are exercised: damage inside one element stays inside it.
        #expect(wholeBodyErrors > 30 && partial > 30, "whole-body \(wholeBodyErrors), partial \(partial)")
    }
}
