import Testing
import VigilCore
import VigilPostgres
@testable import VigilQueue
import VigilTestSupport

/// The claim on the claim loop's own connection (``JobStore/claimConnection()``), whose plan is made once and kept.
@Suite(.serialized)
struct ClaimStatementTests {
    /// A plan made while the tables held one row (and had been analysed so) must still reach each row through its key
    /// once they hold 20,000 and no ANALYZE has run since: no sequential scan and no index walked through. The jobs
    /// claimed are on the last shard, so that a walk of `alert_pkey` or `triage_job_pkey` in key order would pass
    /// every other shard's rows first. Fails if the claim connection's planner settings are dropped, if `claimed`
    /// joins `picked` by key instead of `ctid`, or if the alerts are joined instead of read one by one.
    @Test func aKeptPlanMadeOnNearlyEmptyTablesStaysKeyLookups() async throws {
        try await QueueTestDatabase.with(shardCount: 64) { db in
            let tables = ["triage_job", "alert", "shard_lease"]
            for table in tables { try await db.pool.query("ALTER TABLE \(table) SET (autovacuum_enabled = false)") }
            let leases = try await db.takeAllLeases(as: "worker-a")
            let jobs = JobStore(pool: db.pool, workerID: "worker-a")
            try await withCleanup(jobs.claimConnection(), cleanup: { await $0.close() }) { connection in
                // The last shard first: its jobs fill the claim.
                let lastFirst = Array(leases.reversed())
                func claim(_ limit: Int) async throws -> [ClaimedJob] {
                    try await jobs.claim(leases: lastFirst, limit: limit, jobLease: .seconds(30), on: connection)
                }

                try await db.enqueue(1, prefix: "first")
                // Statistics of the nearly empty tables, as autovacuum leaves them on an idle cluster.
                for table in tables { try await db.pool.query("ANALYZE \(table)") }
                #expect(try await claim(8).count == 1)
                #expect(try await connection.query("SHOW plan_cache_mode").first?.decode(String.self, at: 0) == "force_generic_plan")

                try await db.enqueue(20_000)
                let claimed = try await connection.expectKeyLookups("the claim", tables: tables) { try await claim(8) }
                #expect(claimed.count == 8)
                #expect(claimed.allSatisfy { $0.key.shard == 63 })
                // Each claimed job's alert is its own, read whole.
                for job in claimed {
                    let stored = try await db.pool.query(
                        "SELECT external_id, payload->>'n' FROM alert WHERE shard = $1 AND id = $2", [job.key.shard, job.key.alertID])
                    #expect(try stored.first?.decode(String.self, at: 0) == job.alert.externalID)
                    #expect(try stored.first?.decode(String.self, at: 1) == job.alert.payload["n"]?.jsonText)
                }
                #expect(try await db.count("SELECT count(*) FROM triage_job WHERE state = 'running' AND owner = 'worker-a'") == 9)
            }
        }
    }
}
