import CLibPQ
import Foundation

/// The rows of one statement's result. Immutable, so safe to read from any task.
///
/// Values are decoded on demand from libpq's text format (the session fixes `TimeZone`, `DateStyle`
/// and `bytea_output`, so the text forms are stable).
public final class PostgresResult: @unchecked Sendable, RandomAccessCollection {
    private let handle: OpaquePointer
    /// The column names, in order.
    public let columns: [String]
    /// The column type oids, in order.
    public let columnTypes: [UInt32]
    public let startIndex = 0
    public let endIndex: Int
    /// Rows affected by an INSERT/UPDATE/DELETE/COPY (`PQcmdTuples`), 0 when not reported.
    public let affectedRows: Int

    init(handle: OpaquePointer) {
        self.handle = handle
        let fieldCount = Int(PQnfields(handle))
        columns = (0..<fieldCount).map { String(cString: PQfname(handle, Int32($0))) }
        columnTypes = (0..<fieldCount).map { UInt32(PQftype(handle, Int32($0))) }
        endIndex = Int(PQntuples(handle))
        affectedRows = Int(String(cString: PQcmdTuples(handle))) ?? 0
    }

    deinit { PQclear(handle) }

    public subscript(position: Int) -> PostgresRow { PostgresRow(result: self, index: position) }

    /// The index of the column named `name`.
    public func columnIndex(_ name: String) -> Int? { columns.firstIndex(of: name) }

    func isNull(row: Int, column: Int) -> Bool { PQgetisnull(handle, Int32(row), Int32(column)) == 1 }

    func bytes(row: Int, column: Int) -> UnsafeBufferPointer<UInt8>? {
        guard !isNull(row: row, column: column) else { return nil }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        let pointer = UnsafeRawPointer(PQgetvalue(handle, Int32(row), Int32(column))!).assumingMemoryBound(to: UInt8.self)
        return UnsafeBufferPointer(start: pointer, count: length)
    }
}

/// One row of a ``PostgresResult``.
public struct PostgresRow: Sendable {
    public let result: PostgresResult
    public let index: Int

    /// Decodes the column named `column`.
    ///
    /// - Throws: ``PostgresError`` `.decoding` naming the column when it does not exist, is NULL for a
    ///   non-optional type, or its type does not match `T`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, column: String) throws(PostgresError) -> T {
        guard let position = result.columnIndex(column) else {
            throw PostgresError(code: .decoding, message: "no column named \"\(column)\" in the result", column: column)
        }
        return try decode(type, at: position)
    }

    /// Decodes the column at `position` (0-based).
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at position: Int) throws(PostgresError) -> T {
        guard position >= 0, position < result.columns.count else {
            throw PostgresError(code: .decoding, message: "no column at position \(position) in the result")
        }
        let cell = PostgresCell(
            bytes: result.bytes(row: index, column: position),
            type: result.columnTypes[position],
            column: result.columns[position]
        )
        return try T.decode(from: cell)
    }
}

/// One value of a row, as the server sent it in text format.
public struct PostgresCell {
    /// The value's text bytes, nil for NULL.
    public let bytes: UnsafeBufferPointer<UInt8>?
    public let type: UInt32
    public let column: String

    /// The value as a String, nil for NULL.
    public var text: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    /// An error naming this cell's column, for decoders.
    public func mismatch(_ swiftType: Any.Type) -> PostgresError {
        PostgresError(
            code: .decoding,
            message: "column \"\(column)\" of type \(PostgresType.name(of: type)) cannot be decoded as \(swiftType)",
            column: column
        )
    }

    /// The error for a NULL where a value was required.
    public func unexpectedNull(_ swiftType: Any.Type) -> PostgresError {
        PostgresError(code: .decoding, message: "column \"\(column)\" is NULL; decode it as \(swiftType)? instead", column: column)
    }

    /// The text of a non-NULL value of one of `types`, or the right error.
    public func requireText(_ swiftType: Any.Type, types: Set<UInt32>) throws(PostgresError) -> String {
        guard types.contains(type) else { throw mismatch(swiftType) }
        guard let text else { throw unexpectedNull(swiftType) }
        return text
    }
}
