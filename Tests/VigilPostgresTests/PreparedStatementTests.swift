import Foundation
import Testing
import VigilPostgres

/// `PostgresStatement(prepared: true)`: prepared once per connection and reused, alone and in pipelines; a
/// statement that cannot be prepared reports its own error.
@Suite("Prepared statements", .serialized)
struct PreparedStatementTests {
    static let sum = "SELECT $1::int8 + $2::int8 AS total"

    @Test("a prepared statement is prepared once per connection and gives each run's own answer")
    func preparedOnce() async throws {
        try await TestDatabase.with(maxConnections: 1) { db in
            try await db.pool.withConnection { connection in
                for (a, b) in [(1, 2), (40, 2), (-5, 5)] {
                    let rows = try await connection.run(PostgresStatement(Self.sum, [a, b], prepared: true))
                    #expect(try rows[0].decode(Int.self, at: 0) == a + b)
                }
                let outcomes = try await connection.pipeline([
                    PostgresStatement(Self.sum, [7, 8], prepared: true),
                    PostgresStatement("SELECT $1::text || 'x'", ["a"], prepared: true),
                    PostgresStatement("SELECT $1::text || 'x'", ["b"], prepared: true),
                ])
                #expect(try outcomes[0].get()[0].decode(Int.self, at: 0) == 15)
                #expect(try outcomes[1].get()[0].decode(String.self, at: 0) == "ax")
                #expect(try outcomes[2].get()[0].decode(String.self, at: 0) == "bx")
                let prepared = try await connection.query("SELECT statement FROM pg_prepared_statements ORDER BY name")
                #expect(prepared.count == 2, "one per distinct SQL text, whether first run alone or in a pipeline")
            }
        }
    }

    @Test("a prepared statement is planned on every run, never with a generic plan")
    func plannedOnEveryRun() async throws {
        try await TestDatabase.with(maxConnections: 1) { db in
            try await db.pool.withConnection { connection in
                try await connection.query("CREATE TABLE queue (id int8 PRIMARY KEY, state text NOT NULL)")
                let statement = "SELECT count(*) FROM queue WHERE id = $1::int8 AND state = 'ready'"
                // More runs than the server's default mode (auto) tries custom plans before it settles on a generic one.
                for id in 1...12 {
                    if id == 6 { try await connection.query("INSERT INTO queue SELECT g, 'ready' FROM generate_series(1, 1000) g") }
                    let rows = try await connection.run(PostgresStatement(statement, [id], prepared: true))
                    #expect(try rows[0].decode(Int.self, at: 0) == (id >= 6 ? 1 : 0))
                }
                let plans = try await connection.query(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1", [statement])
                #expect(plans.count == 1)
                #expect(try plans[0].decode(Int.self, at: 0) == 0, "no generic plan")
                #expect(try plans[0].decode(Int.self, at: 1) == 12, "a plan per run")
            }
        }
    }

    @Test("a statement that cannot be prepared fails with its own error, and the connection stays usable")
    func prepareFailure() async throws {
        try await TestDatabase.with(maxConnections: 1) { db in
            try await db.pool.withConnection { connection in
                await #expect(throws: PostgresError.self) {
                    try await connection.run(PostgresStatement("SELEC $1::int", [1], prepared: true))
                }
                let outcomes = try await connection.pipeline([
                    PostgresStatement("SELECT 1"),
                    PostgresStatement("SELECT * FROM no_such_table WHERE x = $1", [1], prepared: true),
                    PostgresStatement(Self.sum, [1, 1], prepared: true),
                ])
                guard case .failure(let error) = outcomes[1] else {
                    Issue.record("the unpreparable statement succeeded")
                    return
                }
                #expect(error.sqlState == "42P01", "undefined table, not just 'aborted'")
                guard case .failure(let after) = outcomes[2] else {
                    Issue.record("a statement after the failure ran")
                    return
                }
                #expect(after.code == .pipelineAborted)
                // Neither failed statement was recorded as prepared: both work (or fail) afresh.
                let rows = try await connection.run(PostgresStatement(Self.sum, [2, 3], prepared: true))
                #expect(try rows[0].decode(Int.self, at: 0) == 5)
            }
        }
    }
}
