import Foundation
import Testing
import VigilPostgres

/// The hand-written uuid text form: what PostgreSQL prints and reads, and what Foundation would give.
struct UUIDTextTests {
    @Test func printsAsFoundationDoesInLowercase() {
        for _ in 0..<200 {
            let id = UUID()
            #expect(id.postgresText == id.uuidString.lowercased())
        }
        #expect(UUID(uuid: (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 255)).postgresText == "00010203-0405-0607-0809-0a0b0c0d0eff")
    }

    @Test func parsesEitherCaseBackToTheSameValue() {
        for _ in 0..<200 {
            let id = UUID()
            #expect(Self.parse(id.postgresText) == id)
            #expect(Self.parse(id.uuidString) == id)
        }
    }

    @Test(arguments: [
        "", "00010203-0405-0607-0809-0a0b0c0d0ef", "00010203-0405-0607-0809-0a0b0c0d0eff0", "000102030405-0607-0809-0a0b0c0d0eff",
        "00010203-0405-0607-0809-0a0b0c0d0efg", "00010203x0405-0607-0809-0a0b0c0d0eff", "{00010203-0405-0607-0809-0a0b0c0d0e}",
    ])
    func refusesAnythingElse(text: String) {
        #expect(Self.parse(text) == nil)
    }

    private static func parse(_ text: String) -> UUID? {
        Array(text.utf8).withUnsafeBufferPointer { UUID(postgresText: $0) }
    }
}
