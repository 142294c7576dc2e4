import CZlib
import Foundation

/// A loader's input read in pieces: a file (gunzipped on the fly when it starts with the gzip magic number, members
/// concatenated allowed) or bytes already in memory. Each ``read(into:)`` appends at most ``chunkSize`` bytes, so a
/// file of any size is read with a bounded amount of memory.
final class FileChunks {
    /// Bytes appended per read at most.
    let chunkSize: Int
    /// Names the input in errors.
    let name: String
    private var handle: FileHandle?
    private var memory: [UInt8]
    private var memoryOffset = 0
    private var inflater: Inflater?

    /// Opens `path`; the first bytes decide whether it is gzip.
    ///
    /// - Throws: ``LoadError`` `.unreadableFile` when it cannot be opened or read.
    init(path: String, chunkSize: Int = 1 << 20) throws(LoadError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw LoadError(code: .unreadableFile, message: "\(path): cannot be read")
        }
        self.chunkSize = max(chunkSize, 64)
        self.name = path
        self.handle = handle
        self.memory = []
        let head = try readRaw(2)
        if head.count == 2, head[0] == 0x1F, head[1] == 0x8B {
            inflater = try Inflater(name: path)
            inflater?.pending = head
        } else {
            memory = head
        }
    }

    /// Serves `bytes` (not gzip) in pieces, as a file holding them would be read.
    init(bytes: [UInt8], name: String, chunkSize: Int = 1 << 20) {
        self.chunkSize = max(chunkSize, 64)
        self.name = name
        self.memory = bytes
    }

    deinit { try? handle?.close() }

    /// Appends the next bytes (at most ``chunkSize``) to `buffer`; false at the end of the input, when nothing was
    /// appended.
    ///
    /// - Throws: ``LoadError`` `.unreadableFile` for a read failure or damaged gzip data (the message names the file).
    func read(into buffer: inout [UInt8]) throws(LoadError) -> Bool {
        if let inflater {
            return try inflater.inflate(into: &buffer, limit: chunkSize) { () throws(LoadError) in try self.readRaw(self.chunkSize) }
        }
        if memoryOffset < memory.count {
            let end = min(memory.count, memoryOffset + chunkSize)
            buffer.append(contentsOf: memory[memoryOffset..<end])
            memoryOffset = end
            if memoryOffset == memory.count, handle != nil { memory = [] ; memoryOffset = 0 }
            return true
        }
        let raw = try readRaw(chunkSize)
        guard !raw.isEmpty else { return false }
        buffer.append(contentsOf: raw)
        return true
    }

    /// Up to `count` bytes straight from the file; empty at its end (or for in-memory input).
    private func readRaw(_ count: Int) throws(LoadError) -> [UInt8] {
        guard let handle else { return [] }
        do {
            guard let data = try handle.read(upToCount: count) else { return [] }
            return [UInt8](data)
        } catch {
            throw LoadError(code: .unreadableFile, message: "\(name): read failed")
        }
    }

    /// zlib's inflate over compressed input fed piece by piece.
    private final class Inflater {
        private var stream = z_stream()
        let name: String
        /// Compressed bytes read from the file and not yet consumed.
        var pending: [UInt8] = []
        private var pendingOffset = 0
        /// Where inflate writes, before its bytes are appended to the caller's buffer.
        private var scratch = [UInt8](repeating: 0, count: 64 << 10)
        /// The last member ended exactly where the input ended so far.
        private var memberEnded = false
        private var inputEnded = false

        init(name: String) throws(LoadError) {
            self.name = name
            guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw LoadError(code: .unreadableFile, message: "\(name): zlib init failed")
            }
        }

        deinit { inflateEnd(&stream) }

        /// Appends at most `limit` inflated bytes to `buffer`, reading compressed input with `more` (empty at the end
        /// of the file) as needed; false when the data is finished.
        func inflate(into buffer: inout [UInt8], limit: Int, more: () throws(LoadError) -> [UInt8]) throws(LoadError) -> Bool {
            var produced = 0
            while produced < limit {
                if pendingOffset == pending.count {
                    if inputEnded { break }
                    pending = try more()
                    pendingOffset = 0
                    if pending.isEmpty {
                        inputEnded = true
                        break
                    }
                }
                if memberEnded {
                    // More input after a member's end: the next member of a concatenated file.
                    guard inflateReset(&stream) == Z_OK else { throw damaged("corrupt gzip member") }
                    memberEnded = false
                }
                let room = min(scratch.count, limit - produced)
                let (status, consumed, written) = pending.withUnsafeMutableBufferPointer { input in
                    scratch.withUnsafeMutableBufferPointer { output in
                        stream.next_in = input.baseAddress! + pendingOffset
                        stream.avail_in = uInt(input.count - pendingOffset)
                        stream.next_out = output.baseAddress!
                        stream.avail_out = uInt(room)
                        let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                        return (status, input.count - pendingOffset - Int(stream.avail_in), room - Int(stream.avail_out))
                    }
                }
                buffer.append(contentsOf: scratch[..<written])
                pendingOffset += consumed
                produced += written
                switch status {
                case Z_STREAM_END: memberEnded = true
                case Z_OK: break
                default: throw damaged("corrupt gzip data (zlib status \(status))")
                }
            }
            if produced == 0, inputEnded, !memberEnded { throw damaged("truncated gzip data") }
            return produced > 0
        }

        private func damaged(_ message: String) -> LoadError { LoadError(code: .unreadableFile, message: "\(name): \(message)") }
    }
}
