import Foundation

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
}
