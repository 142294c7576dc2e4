import Foundation
import CLibPQ

extension PostgresConnection {
    /// Streams rows into `COPY … FROM STDIN` (text format) and returns how many the server took.
    ///
    /// Rows are encoded into a buffer of about `chunkSize` bytes that is sent and reused, so memory
    /// stays flat however many rows there are. If `encode` or the server fails, the COPY is ended
    /// with an error and nothing of it is kept.
    ///
    /// - Parameters:
    ///   - sql: a `COPY table (columns…) FROM STDIN` statement (text format, the default).
    ///   - rows: the rows, read once.
    ///   - chunkSize: bytes per `PQputCopyData` call (default 256 KiB).
    ///   - encode: writes one row's fields, in the statement's column order.
    @discardableResult
    public func copyFrom<Rows: Sequence>(
        _ sql: String,
        rows: sending Rows,
        chunkSize: Int = 256 << 10,
        encode: sending (Rows.Element, inout PostgresCopyRowWriter) throws -> Void
    ) async throws -> Int {
        try await copy(sql) { conn in
            var writer = PostgresCopyRowWriter()
            writer.buffer.reserveCapacity(chunkSize + 4096)
            for row in rows {
                try encode(row, &writer)
                writer.endRow()
                if writer.buffer.count >= chunkSize {
                    try Self.putCopyData(conn, writer.buffer)
                    writer.buffer.removeAll(keepingCapacity: true)
                }
            }
            if !writer.buffer.isEmpty { try Self.putCopyData(conn, writer.buffer) }
        }
    }

    /// Streams already-encoded COPY text (whole rows or any split of them) into `COPY … FROM STDIN`.
    @discardableResult
    public func copyFrom<Chunks: AsyncSequence>(_ sql: String, chunks: sending Chunks) async throws -> Int where Chunks.Element == [UInt8] {
        let conn = try startCopy(sql)
        do {
            for try await chunk in chunks where !chunk.isEmpty {
                let handle = try requireHandle()
                try awaitingAnswer(sql: sql) { () throws(PostgresError) in try Self.putCopyData(handle, chunk) }
            }
        } catch {
            abortCopy(conn, sql: sql)
            throw error
        }
        return try finishCopy(conn, sql: sql)
    }

    private func copy(_ sql: String, _ send: (OpaquePointer) throws -> Void) async throws -> Int {
        let conn = try startCopy(sql)
        let deadline = armAnswerDeadline()
        var failure: (any Error)?
        do { try send(conn) } catch { failure = error }
        try Self.checkAnswered(deadline, sql: sql)
        if let failure {
            abortCopy(conn, sql: sql)
            throw failure
        }
        return try finishCopy(conn, sql: sql)
    }

    private func startCopy(_ sql: String) throws(PostgresError) -> OpaquePointer {
        let conn = try requireHandle()
        guard let result = try awaitingAnswer(sql: sql, { () throws(PostgresError) in PQexec(conn, sql) }) else { throw connectionError(sql: sql) }
        guard PQresultStatus(result) == PGRES_COPY_IN else {
            _ = try check(result, sql: sql)
            throw PostgresError(code: .protocolViolation, message: "the statement did not start COPY FROM STDIN", query: sql)
        }
        PQclear(result)
        return conn
    }

    private func abortCopy(_ conn: OpaquePointer, sql: String) {
        _ = try? awaitingAnswer(sql: sql) { () throws(PostgresError) in
            _ = PQputCopyEnd(conn, "aborted by the client")
            while let result = PQgetResult(conn) { PQclear(result) }
        }
    }

    private func finishCopy(_ conn: OpaquePointer, sql: String) throws(PostgresError) -> Int {
        try awaitingAnswer(sql: sql) { () throws(PostgresError) -> Int in try collectCopyResults(conn, sql: sql) }
    }

    private func collectCopyResults(_ conn: OpaquePointer, sql: String) throws(PostgresError) -> Int {
        guard PQputCopyEnd(conn, nil) == 1 else { throw connectionError(sql: sql) }
        var firstError: PostgresError?
        var count = 0
        while let result = PQgetResult(conn) {
            do throws(PostgresError) {
                let checked = try check(result, sql: sql)
                count = max(count, checked.affectedRows)
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
        return count
    }

    static func putCopyData(_ conn: OpaquePointer, _ bytes: [UInt8]) throws(PostgresError) {
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(conn, $0.baseAddress, Int32($0.count)) }
        }
        guard status == 1 else {
            throw PostgresError(code: .connectionClosed, message: String(cString: PQerrorMessage(conn)))
        }
    }
}

/// Writes rows in COPY's text format: fields separated by tabs, rows by newlines, `\N` for NULL,
/// backslash escapes for backslash, tab, newline and carriage return.
public struct PostgresCopyRowWriter: Sendable {
    public internal(set) var buffer: [UInt8] = []
    private var fieldsInRow = 0

    public init() {}

    /// Appends a text field, escaped; nil writes NULL.
    public mutating func field(_ text: String?) {
        separate()
        guard var text else {
            buffer.append(contentsOf: [0x5C, 0x4E])
            return
        }
        text.withUTF8 { bytes in
            // Copy runs of plain bytes at once; escape the four that COPY's text format reserves.
            var runStart = 0
            for i in 0..<bytes.count {
                let escaped: UInt8
                switch bytes[i] {
                case 0x5C: escaped = 0x5C
                case 0x09: escaped = 0x74
                case 0x0A: escaped = 0x6E
                case 0x0D: escaped = 0x72
                default: continue
                }
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                buffer.append(0x5C)
                buffer.append(escaped)
                runStart = i + 1
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
    }

    /// Appends a `uuid` field (lowercase hex, as PostgreSQL prints it), without going through a `String`.
    public mutating func field(_ value: UUID) {
        separate()
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: 36))
        buffer.withUnsafeMutableBufferPointer { bytes in
            value.appendPostgresText { offset, byte in bytes[start + offset] = byte }
        }
    }

    /// Appends a `timestamptz` field (UTC, microseconds).
    public mutating func field(_ value: Date) {
        separate()
        buffer.append(contentsOf: PostgresTimestamp.format(value).utf8)
    }

    /// Appends an integer field.
    public mutating func field(_ value: Int64) {
        separate()
        buffer.append(contentsOf: String(value).utf8)
    }

    /// Appends any encodable value in its text form (binary values are written as bytea hex).
    public mutating func field(_ value: some PostgresEncodable) {
        switch value.postgresValue {
        case .null: field(nil as String?)
        case .text(let text, _): field(Optional(text))
        case .binary(let bytes, _):
            separate()
            buffer.append(contentsOf: [0x5C, 0x5C, 0x78])
            let digits = Array("0123456789abcdef".utf8)
            for byte in bytes {
                buffer.append(digits[Int(byte >> 4)])
                buffer.append(digits[Int(byte & 0x0F)])
            }
        }
    }

    /// Ends the current row (copyFrom(rows:) calls it after each row).
    public mutating func endRow() {
        buffer.append(0x0A)
        fieldsInRow = 0
    }

    private mutating func separate() {
        if fieldsInRow > 0 { buffer.append(0x09) }
        fieldsInRow += 1
    }
}
