import CZlib

/// gzip decompression through the system zlib.
enum Gzip {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// True when `bytes` start with the gzip magic number.
    static func isCompressed(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// Inflates a gzip stream (concatenated members included).
    static func decompress(_ input: [UInt8], limit: Int = 4 << 30) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(description: "zlib init failed")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = input
        var status: Int32 = Z_OK
        let failure: Failure? = input.withUnsafeMutableBufferPointer { inBuffer -> Failure? in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            while true {
                let produced = chunk.withUnsafeMutableBufferPointer { outBuffer -> Int in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = uInt(outBuffer.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return outBuffer.count - Int(stream.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
                if output.count > limit { return Failure(description: "decompressed data exceeds \(limit) bytes") }
                if status == Z_STREAM_END {
                    if stream.avail_in == 0 { return nil }
                    guard inflateReset(&stream) == Z_OK else { return Failure(description: "corrupt gzip member") }
                    continue
                }
                if status != Z_OK { return Failure(description: "corrupt gzip data (zlib status \(status))") }
                if stream.avail_in == 0 && produced == 0 { return Failure(description: "truncated gzip data") }
            }
        }
        if let failure { throw failure }
        return output
    }
}
