import Foundation

extension UUID {
    /// A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids made later
    /// sort later and inserts land at the right edge of an index instead of all over it.
    public static func v7(now: Date = Date()) -> UUID {
        var random = SystemRandomNumberGenerator()
        return v7(milliseconds: milliseconds(now), random: random.next(), random.next())
    }

    /// `count` version 7 UUIDs of one instant, their random bits read from the system's generator at once (one
    /// system call for a whole ingest batch instead of two per id).
    public static func v7(count: Int, now: Date = Date()) -> [UUID] {
        guard count > 0 else { return [] }
        var words = [UInt64](repeating: 0, count: 2 * count)
        words.withUnsafeMutableBytes(fillRandom)
        let millis = milliseconds(now)
        return (0..<count).map { v7(milliseconds: millis, random: words[2 * $0], words[2 * $0 + 1]) }
    }

    static func milliseconds(_ now: Date) -> UInt64 { UInt64(max(0, now.timeIntervalSince1970 * 1000)) }

    /// The id of `millis` with 74 of the 128 bits of `high` and `low`: version 7, variant 10.
    static func v7(milliseconds millis: UInt64, random high: UInt64, _ low: UInt64) -> UUID {
        func byte(_ value: UInt64, _ shift: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: value >> shift) }
        return UUID(uuid: (
            byte(millis, 40), byte(millis, 32), byte(millis, 24), byte(millis, 16), byte(millis, 8), byte(millis, 0),
            0x70 | (byte(high, 0) & 0x0F), byte(high, 8),
            0x80 | (byte(low, 0) & 0x3F), byte(low, 8), byte(low, 16), byte(low, 24),
            byte(low, 32), byte(low, 40), byte(low, 48), byte(low, 56)
        ))
    }

    /// Fills `buffer` from the system's cryptographic generator: glibc's `arc4random_buf` (through Foundation; one
    /// `getrandom` call for the whole buffer), else the standard library's generator.
    private static func fillRandom(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        arc4random_buf(buffer.baseAddress!, buffer.count)
        #else
        var random = SystemRandomNumberGenerator()
        for offset in stride(from: 0, to: buffer.count, by: 8) {
            withUnsafeBytes(of: random.next() as UInt64) { word in
                buffer.baseAddress!.advanced(by: offset).copyMemory(from: word.baseAddress!, byteCount: min(8, buffer.count - offset))
            }
        }
        #endif
    }
}
