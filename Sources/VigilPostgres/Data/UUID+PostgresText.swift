import Foundation

/// UUIDs in PostgreSQL's text form (lowercase, hyphenated), by hand: Foundation's `UUID(uuidString:)` and
/// `uuidString` go through `sscanf`/`sprintf`, which cost a queue worker and the ingest path a noticeable share of
/// their CPU (several UUIDs are read and written per job and per alert).
extension UUID {
    /// The UUID as PostgreSQL prints a `uuid`: 36 characters, lowercase hex, `8-4-4-4-12` (what `uuidString.lowercased()`
    /// gives, without Foundation's formatting and case mapping).
    public var postgresText: String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            appendPostgresText { offset, byte in buffer[offset] = byte }
            return 36
        }
    }

    /// Calls `put(offset, byte)` for each of the 36 bytes of ``postgresText``.
    @inline(__always)
    func appendPostgresText(_ put: (Int, UInt8) -> Void) {
        let digits: StaticString = "0123456789abcdef"
        withUnsafeBytes(of: uuid) { raw in
            var offset = 0
            for (index, byte) in raw.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    put(offset, UInt8(ascii: "-"))
                    offset += 1
                }
                put(offset, digits.utf8Start[Int(byte >> 4)])
                put(offset + 1, digits.utf8Start[Int(byte & 0x0F)])
                offset += 2
            }
        }
    }

    /// Parses the 36-byte hyphenated form (either case); nil for anything else (PostgreSQL prints no other form).
    public init?(postgresText text: UnsafeBufferPointer<UInt8>) {
        guard text.count == 36 else { return nil }
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
            var position = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    guard text[position] == UInt8(ascii: "-") else { return false }
                    position += 1
                }
                guard let high = Self.nibble(text[position]), let low = Self.nibble(text[position + 1]) else { return false }
                out[index] = high << 4 | low
                position += 2
            }
            return true
        }
        guard parsed else { return nil }
        self.init(uuid: bytes)
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
