import Foundation
import Testing
import VigilPostgres

@Suite("PostgreSQL connection and pool")
struct ConnectionTests {
    @Test("every type the project uses round-trips, NULL as optional")
    func typedDecoding() async throws {
        try await TestDatabase.with { db in
            let id = UUID()
            let when = Date(timeIntervalSince1970: 1_764_198_720.123456)
            let rows = try await db.pool.query(
                """
                SELECT $1::bool AS b, $2::int2 AS i2, $3::int4 AS i4, $4::int8 AS i8, $5::float8 AS f, $6::text AS t,
                       $7::uuid AS u, $8::timestamptz AS ts, $9::jsonb AS j, $10::bytea AS by, $11::inet AS ip,
                       $12::cidr AS net, $13::text[] AS ta, $14::int8[] AS ia, NULL::text AS missing
                """,
                [
                    true, Int16(-7), Int32(123_456), Int64.max, 2.5, "tab\there \"quoted\" ünïcode", id, when,
                    PostgresJSON(#"{"a": [1, 2, {"b": null}]}"#), PostgresBytes([0, 1, 254, 255]), "2001:db8::1", "10.0.0.0/8",
                    ["a", "b,c", "d\"e", "NULL"], [Int64(1), -2, 3],
                ]
            )
            let row = try #require(rows.first)
            #expect(try row.decode(Bool.self, column: "b") == true)
            #expect(try row.decode(Int16.self, column: "i2") == -7)
            #expect(try row.decode(Int32.self, column: "i4") == 123_456)
            #expect(try row.decode(Int64.self, column: "i8") == Int64.max)
            #expect(try row.decode(Double.self, column: "f") == 2.5)
            #expect(try row.decode(String.self, column: "t") == "tab\there \"quoted\" ünïcode")
            #expect(try row.decode(UUID.self, column: "u") == id)
            let decodedDate = try row.decode(Date.self, column: "ts")
            #expect(abs(decodedDate.timeIntervalSince(when)) < 0.000_002)
            #expect(try row.decode(String.self, column: "j") == #"{"a": [1, 2, {"b": null}]}"#)
            #expect(try row.decode(PostgresBytes.self, column: "by") == PostgresBytes([0, 1, 254, 255]))
            #expect(try row.decode(String.self, column: "ip") == "2001:db8::1")
            #expect(try row.decode(String.self, column: "net") == "10.0.0.0/8")
            #expect(try row.decode([String].self, column: "ta") == ["a", "b,c", "d\"e", "NULL"])
            #expect(try row.decode([Int64].self, column: "ia") == [1, -2, 3])
            #expect(try row.decode(String?.self, column: "missing") == nil)
            #expect(try row.decode(Int?.self, column: "i4") == 123_456)
        }
    }

    @Test("a binary text[] parameter reaches the server element for element: NULLs, empty, awkward and long text")
    func binaryTextArrays() async throws {
        try await TestDatabase.with { db in
            let long = String(repeating: #"{"k": "v \"q\" \\ ü"}, "#, count: 2_000)
            let cases: [[String?]] = [
                [], [nil], [""], ["a", nil, "b,c", "d\"e", "back\\slash", "{braces}", "NULL", "", "größe ✓", long],
            ]
            for elements in cases {
                let rows = try await db.pool.query(
                    """
                    SELECT cardinality($1::text[]), array_ndims($1::text[]), coalesce(array_lower($1::text[], 1), 0),
                        (SELECT array_agg(CASE WHEN e IS NULL THEN 'null' ELSE 'text' END ORDER BY i) FROM unnest($1::text[]) WITH ORDINALITY u(e, i)),
                        (SELECT array_agg(coalesce(e, '') ORDER BY i) FROM unnest($1::text[]) WITH ORDINALITY u(e, i)),
                        $1::text[] = $2::text[]
                    """,
                    [PostgresTextArray(elements), elements])
                let row = try #require(rows.first)
                #expect(try row.decode(Int.self, at: 0) == elements.count)
                #expect(try row.decode(Int?.self, at: 1) == (elements.isEmpty ? nil : 1))
                #expect(try row.decode(Int.self, at: 2) == (elements.isEmpty ? 0 : 1), "lower bound 1, as a literal's")
                if !elements.isEmpty {
                    #expect(try row.decode([String].self, at: 3) == elements.map { $0 == nil ? "null" : "text" })
                    #expect(try row.decode([String].self, at: 4) == elements.map { $0 ?? "" })
                }
                #expect(try row.decode(Bool?.self, at: 5) == true, "equal to the same array sent as a literal")
            }
        }
    }

    @Test("timestamps from 4713 BC to year 255,000, Date.distantPast included, reach the server as sent and come back")
    func timestampsAtCalendarEdges() async throws {
        try await TestDatabase.with { db in
            let instants: [Double] = [
                -210_835_180_800, -63_517_780_799.5, -62_167_219_200, -62_162_035_200, Date.distantPast.timeIntervalSince1970,
                -62_135_596_800, -12_220_243_200, -2_203_977_600, 0, 951_782_400, 253_402_300_799.5, 253_402_300_800, 8_000_000_000_000,
            ]
            for seconds in instants {
                let date = Date(timeIntervalSince1970: seconds)
                let rows = try await db.pool.query(
                    "SELECT extract(epoch FROM $1::timestamptz)::float8 AS epoch, $1::timestamptz AS ts", [date])
                let row = try #require(rows.first)
                #expect(try row.decode(Double.self, column: "epoch") == seconds, "\(seconds)")
                #expect(try row.decode(Date.self, column: "ts") == date, "\(seconds)")
            }
        }
    }

    @Test("a type mismatch names the column")
    func decodeMismatchNamesColumn() async throws {
        try await TestDatabase.with { db in
            let rows = try await db.pool.query("SELECT 'x'::text AS alert_kind, NULL::int8 AS attempts")
            let mismatch = #expect(throws: PostgresError.self) { try rows[0].decode(Int.self, column: "alert_kind") }
            #expect(mismatch?.code == .decoding)
            #expect(mismatch?.column == "alert_kind")
            #expect(mismatch?.description.contains("alert_kind") == true)
            let null = #expect(throws: PostgresError.self) { try rows[0].decode(Int.self, column: "attempts") }
            #expect(null?.description.contains("attempts") == true)
        }
    }

    @Test("SQLSTATEs are decoded; descriptions never carry parameter values")
    func serverErrors() async throws {
        try await TestDatabase.with { db in
            try await db.pool.withConnection { connection in
                try await connection.executeScript(
                    """
                    CREATE TABLE parent (id int PRIMARY KEY);
                    CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id), secret text UNIQUE);
                    INSERT INTO parent VALUES (1);
                    """
                )
            }
            let secret = "AKIAIOSFODNN7EXAMPLE-super-secret"
            try await db.pool.query("INSERT INTO child VALUES (1, 1, $1)", [secret])

            let unique = await #expect(throws: PostgresError.self) {
                try await db.pool.query("INSERT INTO child VALUES (2, 1, $1)", [secret])
            }
            #expect(unique?.sqlState == PostgresError.SQLState.uniqueViolation)
            #expect(unique?.isUniqueViolation == true)
            #expect(unique?.constraint == "child_secret_key")
            #expect(unique?.code == .server)
            #expect(unique?.description.contains(secret) == false, "description leaked a parameter value")
            #expect(unique?.debugDescription.contains(secret) == true, "debugDescription should keep DETAIL for debugging")

            let foreignKey = await #expect(throws: PostgresError.self) {
                try await db.pool.query("INSERT INTO child VALUES (3, 99, NULL)")
            }
            #expect(foreignKey?.sqlState == PostgresError.SQLState.foreignKeyViolation)
            #expect(foreignKey?.constraint == "child_parent_id_fkey")

            let syntax = await #expect(throws: PostgresError.self) { try await db.pool.query("SELEC 1") }
            #expect(syntax?.sqlState == PostgresError.SQLState.syntaxError)
            #expect(syntax?.severity == "ERROR")

            // The pool stays usable after errors.
            let rows = try await db.pool.query("SELECT count(*) AS n FROM child")
            #expect(try rows[0].decode(Int.self, column: "n") == 1)
        }
    }

    @Test("transactions commit, and roll back on any thrown error")
    func transactions() async throws {
        try await TestDatabase.with { db in
            try await db.pool.query("CREATE TABLE t (v int)")
            try await db.pool.withTransaction { try await $0.query("INSERT INTO t VALUES (1)") }
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await db.pool.withTransaction { connection in
                    try await connection.query("INSERT INTO t VALUES (2)")
                    throw Boom()
                }
            }
            await #expect(throws: PostgresError.self) {
                try await db.pool.withTransaction { connection in
                    try await connection.query("INSERT INTO t VALUES (3)")
                    try await connection.query("INSERT INTO t VALUES ('not a number')")
                }
            }
            let rows = try await db.pool.query("SELECT array_agg(v ORDER BY v) AS vs FROM t")
            #expect(try rows[0].decode([Int64].self, column: "vs") == [1])
        }
    }

    @Test("cancelling the task cancels a long statement promptly")
    func cancellation() async throws {
        try await TestDatabase.with(maxConnections: 1) { db in
            let clock = ContinuousClock()
            let start = clock.now
            let task = Task { try await db.pool.query("SELECT pg_sleep(30)") }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            let result = await task.result
            let elapsed = clock.now - start
            #expect(elapsed < .seconds(5), "cancellation took \(elapsed)")
            guard case .failure(let error) = result, let postgresError = error as? PostgresError else {
                Issue.record("the cancelled statement did not fail")
                return
            }
            #expect(postgresError.code == .cancelled)
            // The connection is handed back usable.
            let rows = try await db.pool.query("SELECT 1 AS one")
            #expect(try rows[0].decode(Int.self, column: "one") == 1)
        }
    }

    @Test("a pooled statement finds its idle connection closed by the server and runs once on a new one")
    func brokenIdleConnectionReplacedBeforeSending() async throws {
        try await TestDatabase.with(maxConnections: 1) { db in
            try await db.pool.query("CREATE TABLE once (n int)")
            let first = try await db.pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
            let admin = try await PostgresConnection.connect(db.configuration)
            // Waits (up to 5 s) until the backend has exited: its socket is closed before the pool's next checkout.
            let ended = try await admin.query("SELECT pg_terminate_backend($1::int4, 5000)", [first])[0].decode(Bool.self, at: 0)
            await admin.close()
            #expect(ended)
            try await db.pool.query("INSERT INTO once VALUES (1)")
            let second = try await db.pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
            #expect(second != first, "the broken connection was replaced")
            #expect(try await db.pool.query("SELECT count(*) FROM once")[0].decode(Int.self, at: 0) == 1, "sent once")
            #expect(db.pool.openConnections == 1)
        }
    }

    @Test("a pooled statement that leaves a transaction open is rolled back when its connection returns")
    func openTransactionRolledBackOnReturn() async throws {
        try await TestDatabase.with(maxConnections: 1) { db in
            try await db.pool.query("CREATE TABLE kept (n int)")
            try await db.pool.query("BEGIN")
            // One connection, so the next statements run on the same one.
            try await db.pool.query("INSERT INTO kept VALUES (1)")
            let other = try await PostgresConnection.connect(db.configuration)
            let seen = try await other.query("SELECT count(*) FROM kept")[0].decode(Int.self, at: 0)
            await other.close()
            #expect(seen == 1, "the insert committed on its own: no transaction was left open")
        }
    }

    @Test("acquisition times out when every connection is busy")
    func acquireTimeout() async throws {
        try await TestDatabase.with(maxConnections: 1) { db in
            var configuration = db.configuration
            configuration.acquireTimeout = .milliseconds(200)
            try await PostgresPool.with(configuration: configuration) { pool in
                let holder = Task { try await pool.query("SELECT pg_sleep(1.5)") }
                try await Task.sleep(for: .milliseconds(300))
                let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
                #expect(error?.code == .poolTimeout)
                _ = try await holder.value
                try await pool.query("SELECT 1")
            }
        }
    }
}
