import Foundation
import Testing
import VigilCore

/// Version 7 ids (RFC 9562), one at a time and by the batch the coordinator makes per request.
struct UUIDV7Tests {
    /// The id's 16 bytes.
    private func bytes(_ id: UUID) -> [UInt8] { withUnsafeBytes(of: id.uuid) { Array($0) } }

    /// The first 48 bits, big-endian: the Unix milliseconds.
    private func milliseconds(_ id: UUID) -> UInt64 { bytes(id).prefix(6).reduce(0) { $0 << 8 | UInt64($1) } }

    @Test("version 7, variant 10 and the instant's milliseconds, one at a time and in a batch", arguments: [1, 2, 1000])
    func layout(count: Int) {
        let now = Date(timeIntervalSince1970: 1_795_000_000.123)
        for id in UUID.v7(count: count, now: now) + [UUID.v7(now: now)] {
            let raw = bytes(id)
            #expect(raw[6] >> 4 == 7, "version nibble")
            #expect(raw[8] >> 6 == 0b10, "variant bits")
            #expect(milliseconds(id) == 1_795_000_000_123)
            #expect(id.uuidString.lowercased().dropFirst(14).first == "7", "the text form shows the version")
        }
    }

    @Test("ids of later instants sort later, as text and as bytes")
    func laterSortsLater() {
        let earlier = UUID.v7(count: 50, now: Date(timeIntervalSince1970: 1_795_000_000.001))
        let later = UUID.v7(count: 50, now: Date(timeIntervalSince1970: 1_795_000_000.002))
        for (a, b) in zip(earlier, later) {
            #expect(a.uuidString < b.uuidString)
            #expect(bytes(a).lexicographicallyPrecedes(bytes(b)))
        }
    }

    @Test("the 74 random bits differ between ids and use both random words: 200,000 ids in batches, no repeat")
    func randomBits() {
        let now = Date()
        var seen = Set<UUID>()
        var varyingBytes = Set<Int>()
        var first: [UInt8]?
        for _ in 0..<200 {
            for id in UUID.v7(count: 1000, now: now) {
                #expect(seen.insert(id).inserted, "a repeated id")
                let raw = bytes(id)
                if let first { for position in 6..<16 where raw[position] != first[position] { varyingBytes.insert(position) } } else { first = raw }
            }
        }
        #expect(seen.count == 200_000)
        // Every byte after the timestamp carries random bits (bytes 6 and 8 in their low nibble and low six bits).
        #expect(varyingBytes == Set(6..<16))
    }

    @Test("an empty batch is empty")
    func emptyBatch() {
        #expect(UUID.v7(count: 0).isEmpty)
    }
}
