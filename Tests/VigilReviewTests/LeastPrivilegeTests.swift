import Foundation
import Testing
import VigilCore
import VigilPostgres
import VigilReview
import VigilTestSupport

/// Logs in as users that are members of the group roles migration 0008 creates, and checks what each can do.
@Suite("Least-privilege roles")
struct LeastPrivilegeTests {
    /// A LOGIN user in `group`, with a pool on the test schema; dropped when ``with(_:group:_:)`` returns or throws.
    struct Login {
        let name: String
        let pool: PostgresPool
        let db: ReviewDatabase

        private static func make(_ db: ReviewDatabase, group: String) async throws -> Login {
            let name = "\(group)_\(db.schema)"
            try await db.pool.query("CREATE ROLE \(name) LOGIN IN ROLE \(group)")
            guard let at = db.url.range(of: "postgres@") else { throw SetupError("DATABASE_URL does not name the postgres user") }
            let url = db.url.replacingCharacters(in: at, with: "\(name)@")
            return Login(
                name: name,
                pool: PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: 2, searchPath: db.schema)),
                db: db
            )
        }

        /// Runs `body` with a new login in `group`, then closes it, after a return and after a throw alike (then rethrows).
        static func with<T>(_ db: ReviewDatabase, group: String, _ body: (Login) async throws -> T) async throws -> T {
            try await withCleanup(make(db, group: group), cleanup: { await $0.close() }, body)
        }

        private func close() async {
            await pool.close()
            _ = try? await db.pool.query("DROP ROLE IF EXISTS \(name)")
        }

        /// Asserts `sql` is refused for lack of privilege (SQLSTATE 42501).
        func refused(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) async {
            do {
                try await pool.query(sql)
                Issue.record("\(name) could run: \(sql)", sourceLocation: sourceLocation)
            } catch let error as PostgresError {
                #expect(error.sqlState == "42501", "\(sql): \(error)", sourceLocation: sourceLocation)
            } catch {
                Issue.record("\(sql): \(error)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("the roles are NOLOGIN groups, created once for the cluster")
    func rolesExist() async throws {
        try await ReviewDatabase.with { db in
            let rows = try await db.pool.query(
                "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN ('vigil_coordinator', 'vigil_worker', 'vigil_reviewer') ORDER BY 1"
            )
            #expect(try rows.map { try $0.decode(String.self, column: "rolname") } == ["vigil_coordinator", "vigil_reviewer", "vigil_worker"])
            #expect(try rows.allSatisfy { try !$0.decode(Bool.self, column: "rolcanlogin") })
        }
    }

    @Test("a worker cannot read API tokens or sessions, nor write or read the review tables; it can work the queue")
    func worker() async throws {
        try await ReviewDatabase.with { db in
            let id = try await db.seed()
            _ = try await ReviewStore(pool: db.pool).perform(.acknowledge, on: id, expectedVersion: 0, actor: ReviewActor(name: "ana"))
            try await Login.with(db, group: "vigil_worker") { worker in
                await worker.refused("SELECT token_sha256 FROM api_token")
                await worker.refused("SELECT * FROM review_session")
                await worker.refused(
                    "INSERT INTO review_audit (shard, alert_id, actor, action, previous, new) VALUES (0, gen_random_uuid(), 'w', 'close', '{}', '{}')"
                )
                await worker.refused("UPDATE review_audit SET actor = 'w'")
                await worker.refused("DELETE FROM review_audit")
                await worker.refused("SELECT * FROM review_audit")
                await worker.refused("UPDATE escalation_review SET state = 'closed', close_reason = 'x'")
                await worker.refused("INSERT INTO api_token (name, token_sha256, scopes) VALUES ('x', 'y', '{admin}')")

                // What it needs: the queue, verdicts, leases, alerts.
                try await worker.pool.query("SELECT count(*) FROM alert")
                // The investigation tools' tables, the per-address summary of a later migration too.
                try await worker.pool.query("SELECT count(*) FROM cloudtrail_event")
                try await worker.pool.query("SELECT count(*) FROM cloudtrail_address_activity")
                try await worker.pool.query("UPDATE triage_job SET attempt = attempt + 1 WHERE false")
                try await worker.pool.query("DELETE FROM triage_job WHERE false")
                try await worker.pool.query("INSERT INTO shard_lease (shard) VALUES (999)")
                try await worker.pool.query("UPDATE verdict SET attempt = attempt WHERE alert_id = $1", [id])
                let audit = try await db.pool.query("SELECT count(*) AS n FROM review_audit")
                #expect(try audit[0].decode(Int.self, column: "n") == 1)
            }
        }
    }

    @Test("a reviewer works escalations but cannot touch the job tables")
    func reviewer() async throws {
        try await ReviewDatabase.with { db in
            let id = try await db.seed()
            try await Login.with(db, group: "vigil_reviewer") { reviewer in
                for table in ["triage_job", "shard_lease", "worker", "dead_job", "llm_rate_limit"] {
                    await reviewer.refused("SELECT * FROM \(table)")
                    await reviewer.refused("DELETE FROM \(table)")
                }
                await reviewer.refused("UPDATE triage_job SET state = 'ready'")
                await reviewer.refused("INSERT INTO triage_job (shard, alert_id) VALUES (0, gen_random_uuid())")
                await reviewer.refused("UPDATE verdict SET decision = 'CLOSE'")
                await reviewer.refused("UPDATE api_token SET revoked_at = now()")
                await reviewer.refused("UPDATE review_audit SET actor = 'x'")
                await reviewer.refused("DELETE FROM review_audit")

                // What it needs: the whole review cycle, through the store.
                let store = ReviewStore(pool: reviewer.pool)
                #expect(try await store.list(EscalationFilter()).items.map(\.alertID) == [id])
                let closed = try await store.perform(.close(reason: "benign"), on: id, expectedVersion: 0, actor: ReviewActor(name: "ana"))
                #expect(closed.state == .closed)
                #expect(try await store.detail(id).audit.count == 1)
            }
        }
    }

    @Test("the coordinator role may not rewrite the audit log either")
    func coordinator() async throws {
        try await ReviewDatabase.with { db in
            let id = try await db.seed()
            try await Login.with(db, group: "vigil_coordinator") { coordinator in
                _ = try await ReviewStore(pool: coordinator.pool).perform(.acknowledge, on: id, expectedVersion: 0, actor: ReviewActor(name: "ana"))
                await coordinator.refused("UPDATE review_audit SET actor = 'x'")
                await coordinator.refused("DELETE FROM review_audit")
                await coordinator.refused("UPDATE api_token SET scopes = '{admin}'")
                await coordinator.refused("DELETE FROM verdict")
            }
        }
    }
}
