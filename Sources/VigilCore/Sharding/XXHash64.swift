/// xxHash64 (XXH64) by Yann Collet, the 64-bit hash Vigil routes alerts with.
///
/// **Frozen forever.** Shard numbers derived from this hash are stored in every sharded table; changing the
/// algorithm, the seed or the byte encoding of keys would send an existing principal's new alerts to another
/// shard. The unit tests pin it to the reference implementation's outputs (python-xxhash 3.x / libxxhash), so
/// any change fails the build.
///
/// Chosen over FNV-1a because its output is fully avalanched: `hash % S` with a power-of-two S uses only the
/// low bits, which in FNV-1a depend only on the low bits of each input byte.
public enum XXHash64 {
    static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    /// The XXH64 hash of the UTF-8 bytes of `text`.
    public static func hash(_ text: String, seed: UInt64 = 0) -> UInt64 {
        var text = text
        return text.withUTF8 { hash(UnsafeRawBufferPointer($0), seed: seed) }
    }

    /// The XXH64 hash of `bytes`.
    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    /// The XXH64 hash of the bytes in `buffer`.
    public static func hash(_ buffer: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let count = buffer.count
        var index = 0
        var h: UInt64
        if count >= 32 {
            var v1 = seed &+ prime1 &+ prime2
            var v2 = seed &+ prime2
            var v3 = seed
            var v4 = seed &- prime1
            while index + 32 <= count {
                v1 = round(v1, word64(buffer, index))
                v2 = round(v2, word64(buffer, index + 8))
                v3 = round(v3, word64(buffer, index + 16))
                v4 = round(v4, word64(buffer, index + 24))
                index += 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = merge(h, v1)
            h = merge(h, v2)
            h = merge(h, v3)
            h = merge(h, v4)
        } else {
            h = seed &+ prime5
        }
        h = h &+ UInt64(count)
        while index + 8 <= count {
            h ^= round(0, word64(buffer, index))
            h = rotl(h, 27) &* prime1 &+ prime4
            index += 8
        }
        if index + 4 <= count {
            h ^= UInt64(word32(buffer, index)) &* prime1
            h = rotl(h, 23) &* prime2 &+ prime3
            index += 4
        }
        while index < count {
            h ^= UInt64(buffer[index]) &* prime5
            h = rotl(h, 11) &* prime1
            index += 1
        }
        h ^= h >> 33
        h = h &* prime2
        h ^= h >> 29
        h = h &* prime3
        h ^= h >> 32
        return h
    }

    @inline(__always) static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { x << r | x >> (64 - r) }

    @inline(__always) static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* prime2, 31) &* prime1
    }

    @inline(__always) static func merge(_ acc: UInt64, _ value: UInt64) -> UInt64 {
        (acc ^ round(0, value)) &* prime1 &+ prime4
    }

    @inline(__always) static func word64(_ buffer: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always) static func word32(_ buffer: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
