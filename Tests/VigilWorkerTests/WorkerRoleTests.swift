import Foundation
import Testing
import VigilPostgres
import VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A real `vigil worker` process logged in as a member of `vigil_worker` (migration 0008): the role's grants are
/// enough for everything a worker does (registry, leases, LISTEN, claim, heartbeat, verdicts, counters,
/// maintenance) — least privilege that breaks the worker would fail here.
@Suite("Worker under the vigil_worker role", .serialized)
struct WorkerRoleTests {
    @Test("a worker logged in with only the vigil_worker grants triages every job", .timeLimit(.minutes(1)))
    func workerRoleSuffices() async throws {
        try await QueueTestDatabase.with(shardCount: 4) { db in
            let login = "vigil_worker_\(db.schema)"
            let outsider = "vigil_outsider_\(db.schema)"
            // The two login roles are the cluster's, not the schema's: dropped before the schema, on every path.
            try await withCleanup([login, outsider], cleanup: { roles in
                for role in roles { _ = try? await db.pool.query("DROP ROLE IF EXISTS \(role)") }
            }) { _ in
                try await db.pool.query("CREATE ROLE \(login) LOGIN IN ROLE vigil_worker")
                guard let at = db.processURL.range(of: "postgres@") else { throw QueueTestError("DATABASE_URL does not name the postgres user") }
                let url = db.processURL.replacingCharacters(in: at, with: "\(login)@")
                try await db.enqueue(40)
                try await WorkerProcess.with(databaseURL: url, arguments: WorkerClusterTests.arguments()) { worker in
                    let done = try await db.waitUntil(timeout: .seconds(40)) { try await db.count("SELECT count(*) FROM verdict") == 40 }
                    #expect(try await db.count("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", [login]) > 0)
                    worker.signal(SIGTERM)
                    let status = await worker.waitForExit()
                    let log = (try? String(contentsOfFile: worker.logPath, encoding: .utf8)) ?? ""
                    #expect(done, "verdicts missing; worker log: \(log.suffix(2000))")
                    #expect(status == 0)
                    #expect(!log.contains("permission denied"), "\(log.suffix(2000))")
                }
                #expect(try await db.count("SELECT count(*) FROM triage_job") == 0)
                #expect(try await db.count("SELECT count(*) FROM dead_job") == 0)
                #expect(try await db.count("SELECT count(DISTINCT worker) FROM verdict") == 1)

                // The control: the same worker as a login without the group's grants gets nowhere.
                try await db.pool.query("CREATE ROLE \(outsider) LOGIN")
                try await db.enqueue(5, prefix: "b")
                try await WorkerProcess.with(
                    databaseURL: db.processURL.replacingCharacters(in: at, with: "\(outsider)@"),
                    arguments: WorkerClusterTests.arguments()
                ) { refused in
                    let exited = await refused.waitForExit()
                    let refusedLog = (try? String(contentsOfFile: refused.logPath, encoding: .utf8)) ?? ""
                    #expect(exited != 0)
                    // Without USAGE on the schema its tables are invisible (42P01); with it but without table grants, 42501.
                    #expect(["permission denied", "42501", "42P01"].contains { refusedLog.contains($0) }, "\(refusedLog.suffix(2000))")
                }
                #expect(try await db.count("SELECT count(*) FROM verdict") == 40)
            }
        }
    }
}
