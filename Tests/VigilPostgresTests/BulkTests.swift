import Foundation
import Testing
import VigilPostgres

/// FNV-1a 64 over a sequence of rows' fields, with separators that cannot occur in the data.
private func checksum(_ rows: some Sequence<(Int64, String?, String)>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
    }
    for (id, note, body) in rows {
        mix(String(id).utf8)
        mix([0xFF])
        if let note { mix(note.utf8) } else { mix([0xFE]) }
        mix([0xFF])
        mix(body.utf8)
        mix([0xFD])
    }
    return hash
}

@Suite("COPY and pipeline mode")
struct BulkTests {
    /// Row `i`: a NULL every 7th, and text with every character COPY must escape.
    static func row(_ i: Int64) -> (Int64, String?, String) {
        let note: String? = i % 7 == 0 ? nil : "note \(i)\twith tab\\backslash\nnewline\r\u{00e9}\u{1F512}"
        return (i, note, #"{"shard": \#(i % 64), "kind": "cloudtrail", "n": \#(i)}"#)
    }

    @Test("COPY of 100,000 rows round-trips exactly")
    func copyRoundTrip() async throws {
        try await TestDatabase.with { db in
            try await db.pool.query("CREATE TABLE bulk (id int8 PRIMARY KEY, note text, body jsonb NOT NULL)")
            let count: Int64 = 100_000
            let sent = (0..<count).map(Self.row)
            let copied = try await db.pool.withConnection { connection in
                try await connection.copyFrom("COPY bulk (id, note, body) FROM STDIN", rows: sent) { row, writer in
                    writer.field(row.0)
                    writer.field(row.1)
                    writer.field(row.2)
                }
            }
            #expect(copied == Int(count))
            let rows = try await db.pool.query("SELECT id, note, body::text AS body FROM bulk ORDER BY id")
            #expect(rows.count == Int(count))
            // jsonb normalises spacing, so compare against what the server made of the same text.
            let back = try rows.map { row in
                (try row.decode(Int64.self, column: "id"), try row.decode(String?.self, column: "note"), try row.decode(String.self, column: "body"))
            }
            let expected = (0..<count).map { i -> (Int64, String?, String) in
                let r = Self.row(i)
                return (r.0, r.1, #"{"n": \#(i), "kind": "cloudtrail", "shard": \#(i % 64)}"#)
            }
            #expect(checksum(back) == checksum(expected))
            #expect(back.filter { $0.1 == nil }.count == expected.filter { $0.1 == nil }.count)
        }
    }

    @Test("a failing COPY keeps nothing and leaves the connection usable")
    func copyFailure() async throws {
        try await TestDatabase.with(maxConnections: 1) { db in
            try await db.pool.query("CREATE TABLE bulk (id int8 PRIMARY KEY)")
            let error = await #expect(throws: PostgresError.self) {
                try await db.pool.withConnection { connection in
                    try await connection.copyFrom("COPY bulk (id) FROM STDIN", rows: [1, 2, 2, 3] as [Int64]) { row, writer in
                        writer.field(row)
                    }
                }
            }
            #expect(error?.sqlState == PostgresError.SQLState.uniqueViolation)
            let rows = try await db.pool.query("SELECT count(*) AS n FROM bulk")
            #expect(try rows[0].decode(Int.self, column: "n") == 0)
        }
    }

    @Test("pipeline mode returns each result in order and reports the failing statement")
    func pipeline() async throws {
        try await TestDatabase.with { db in
            let outcomes = try await db.pool.withConnection { connection in
                try await connection.pipeline([
                    PostgresStatement("SELECT $1::int AS v", [1]),
                    PostgresStatement("SELECT $1::text AS v", ["two"]),
                    PostgresStatement("SELECT 1 / $1::int AS v", [0]),
                    PostgresStatement("SELECT 4 AS v"),
                ])
            }
            #expect(outcomes.count == 4)
            #expect(try outcomes[0].get()[0].decode(Int.self, column: "v") == 1)
            #expect(try outcomes[1].get()[0].decode(String.self, column: "v") == "two")
            guard case .failure(let division) = outcomes[2] else {
                Issue.record("the division by zero did not fail")
                return
            }
            #expect(division.sqlState == "22012")
            guard case .failure(let aborted) = outcomes[3] else {
                Issue.record("the statement after the failure ran")
                return
            }
            #expect(aborted.code == .pipelineAborted)

            // A clean pipeline afterwards, on the same pool.
            let again = try await db.pool.withConnection { connection in
                try await connection.pipeline((0..<50).map { PostgresStatement("SELECT $1::int8 AS v", [Int64($0)]) })
            }
            #expect(try again.map { try $0.get()[0].decode(Int64.self, column: "v") } == (0..<50).map(Int64.init))
        }
    }
}
