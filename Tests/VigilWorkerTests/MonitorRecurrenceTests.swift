import Foundation
import Testing
import VigilCore
import VigilPostgres
@testable import VigilQueue
import VigilTestSupport

/// MONITOR recurrence and the webhook outbox, written where verdicts are written (``JobStore/finish(_:)``), against
/// a real PostgreSQL: they apply whatever triage step decided.
@Suite(.serialized)
struct MonitorRecurrenceTests {
    /// How `finish` writes the batch: through `vigil_complete` (small batches), or through the set-based statement
    /// with the results carrying their alerts' subjects (as the worker's do) or not (then read from the database).
    enum Path: CaseIterable, Sendable {
        case keptPlan, statement, statementReadingSubjects

        var keptPlanBatchLimit: Int { self == .keptPlan ? .max : 0 }
        var knownSubjects: Bool { self != .statementReadingSubjects }
    }

    /// A database with one shard lease per shard held by `worker-a`, and a way to add alerts about a subject.
    struct Fixture {
        let db: QueueTestDatabase
        let leases: [LeaseToken]
        let jobs: JobStore

        let path: Path

        /// Runs `body` with a fixture on a fresh schema, then drops the schema, after a return and after a throw alike.
        static func with(
            shardCount: Int = 2, window: Duration = .seconds(3600), path: Path = .keptPlan, _ body: (Fixture) async throws -> Void
        ) async throws {
            try await QueueTestDatabase.with(shardCount: shardCount) { db in
                let leases = try await db.takeAllLeases(as: "worker-a")
                try await body(Fixture(db: db, leases: leases, jobs: path.store(pool: db.pool, workerID: "worker-a", window: window), path: path))
            }
        }

        /// Adds an alert (and its ready job) about `principal`/`resource` that occurred `minutesAgo` minutes ago.
        @discardableResult
        func alert(shard: Int = 0, principal: String?, resource: String? = nil, minutesAgo: Int = 0) async throws -> UUID {
            let id = UUID()
            try await db.pool.query(
                """
                WITH a AS (
                    INSERT INTO alert (shard, id, source, external_id, kind, severity, occurred_at, principal, resource, payload)
                    VALUES ($1, $2, 'test', $2::text, 'test_kind', 'medium', now() - $5 * interval '1 minute', $3, $4, '{}')
                )
                INSERT INTO triage_job (shard, alert_id) VALUES ($1, $2)
                """, [shard, id, principal, resource, minutesAgo])
            return id
        }

        /// Claims every ready job and completes each with `decision`, in one `finish` call, along the fixture's path.
        @discardableResult
        func completeAll(_ decision: Decision, by jobs: JobStore? = nil) async throws -> FinishReport {
            let jobs = jobs ?? self.jobs
            let claimed = try await jobs.claim(leases: leases, limit: 100, jobLease: .seconds(30))
            let verdict = VerdictRecord(decision: decision, rationale: "test", decidedBy: "rules")
            return try await jobs.finish(claimed.map { MonitorRecurrenceTests.result(of: $0, verdict: verdict, knownSubjects: path.knownSubjects) })
        }

        func verdict(_ id: UUID) async throws -> (decision: String, guardrails: [String], flags: [String], triage: String) {
            let row = try #require(
                try await db.pool.query("SELECT decision, guardrails, flags, triage::text FROM verdict WHERE alert_id = $1", [id]).first)
            return (try row.decode(String.self, at: 0), try row.decode([String].self, at: 1), try row.decode([String].self, at: 2),
                try row.decode(String.self, at: 3))
        }
    }

    static func result(of job: ClaimedJob, verdict: VerdictRecord, knownSubjects: Bool) -> JobResult {
        knownSubjects
            ? JobResult(job: job, disposition: .complete, verdict: verdict)
            : JobResult(key: job.key, attempt: job.attempt, disposition: .complete, verdict: verdict)
    }

    @Test func resultsOfClaimedJobsCarryTheSubjectsTheDatabaseWouldGive() {
        #expect(JobStore.recurrenceSubjects(principal: "arn:aws:iam::1:user/dev", resource: "i-0abc")
            == ["principal:arn:aws:iam::1:user/dev", "resource:i-0abc"])
        #expect(JobStore.recurrenceSubjects(principal: "", resource: "i-0abc") == ["resource:i-0abc"])
        #expect(JobStore.recurrenceSubjects(principal: nil, resource: nil) == [])
    }

    @Test(arguments: Path.allCases)
    func recurrenceWithinTheWindowEscalatesNamingTheEarlierAlerts(path: Path) async throws {
        try await Fixture.with(path: path) { f in
            let first = try await f.alert(principal: "arn:aws:iam::1:user/dev", minutesAgo: 30)
            let second = try await f.alert(shard: 1, principal: nil, resource: "i-0abc", minutesAgo: 20)
            try await f.completeAll(.monitor)
            #expect(try await f.verdict(first).decision == "MONITOR")
            #expect(try await f.db.count("SELECT count(*) FROM monitor_watch WHERE escalated_by IS NULL") == 2)

            // Another alert about the same principal and the same resource, triaged MONITOR again by the step.
            let third = try await f.alert(shard: 1, principal: "arn:aws:iam::1:user/dev", resource: "i-0abc")
            let report = try await f.completeAll(.monitor)
            let verdict = try await f.verdict(third)
            #expect(verdict.decision == "ESCALATE")
            #expect(report.writtenDecisions.values.contains(.escalate))
            #expect(verdict.guardrails.contains(JobStore.recurrenceGuardrail))
            let named = Set(verdict.flags.filter { $0.hasPrefix(JobStore.recurrenceFlagPrefix) })
            #expect(named == Set([first, second].map { JobStore.recurrenceFlagPrefix + $0.uuidString.lowercased() }))
            let triage = try JSONParser().parse(verdict.triage)
            #expect(triage.value(atPath: "recurrence.original_decision") == .string("MONITOR"))
            // The earlier entries are closed by the escalation; the escalated alert does not join the list.
            #expect(try await f.db.count("SELECT count(*) FROM monitor_watch WHERE escalated_by = $1", [third]) == 2)
            #expect(try await f.db.count("SELECT count(*) FROM monitor_watch WHERE alert_id = $1", [third]) == 0)
        }
    }

    @Test func outsideTheWindowOrAnotherSubjectStaysMonitor() async throws {
        try await Fixture.with(window: .seconds(600)) { f in
            try await f.alert(principal: "alice", minutesAgo: 60)
            try await f.completeAll(.monitor)
            let late = try await f.alert(principal: "alice")
            let other = try await f.alert(principal: "bob")
            try await f.completeAll(.monitor)
            #expect(try await f.verdict(late).decision == "MONITOR", "50 minutes apart with a 10-minute window")
            #expect(try await f.verdict(other).decision == "MONITOR")
            #expect(try await f.db.count("SELECT count(*) FROM monitor_watch WHERE escalated_by IS NULL") == 3)
        }
    }

    @Test(arguments: Path.allCases)
    func recurrenceInsideOneBatchEscalatesTheLaterAlert(path: Path) async throws {
        try await Fixture.with(path: path) { f in
            let ids = [try await f.alert(principal: "carol", minutesAgo: 2), try await f.alert(shard: 1, principal: "carol", minutesAgo: 1)]
            try await f.completeAll(.monitor)
            let decisions = try await [f.verdict(ids[0]).decision, f.verdict(ids[1]).decision]
            #expect(decisions.sorted() == ["ESCALATE", "MONITOR"], "one batch, same principal: exactly one escalation")
        }
    }

    @Test(arguments: Path.allCases)
    func concurrentWorkersCannotBothMissTheRecurrence(path: Path) async throws {
        try await Fixture.with(shardCount: 2, path: path) { f in
            // Worker B holds shard 1; each worker finishes an alert about the same principal at the same time, ten rounds.
            let b = ShardLeaseStore(pool: f.db.pool, workerID: "worker-b")
            try await ShardLeaseStore(pool: f.db.pool, workerID: "worker-a").release(shard: 1, expectedEpoch: f.leases[1].epoch)
            let leaseB = try #require(try await b.take(shard: 1, expectedEpoch: f.leases[1].epoch + 1, from: nil, duration: .seconds(60)))
            let jobsB = path.store(pool: f.db.pool, workerID: "worker-b", window: .seconds(3600))
            let verdict = VerdictRecord(decision: .monitor, rationale: "test", decidedBy: "rules")
            for round in 0..<10 {
                let principal = "dave-\(round)"
                try await f.alert(shard: 0, principal: principal)
                try await f.alert(shard: 1, principal: principal)
                let jobA = try #require(try await f.jobs.claim(leases: [f.leases[0]], limit: 1, jobLease: .seconds(30)).first)
                let jobB = try #require(try await jobsB.claim(leases: [leaseB], limit: 1, jobLease: .seconds(30)).first)
                async let finishA = f.jobs.finish([Self.result(of: jobA, verdict: verdict, knownSubjects: path.knownSubjects)])
                async let finishB = jobsB.finish([Self.result(of: jobB, verdict: verdict, knownSubjects: path.knownSubjects)])
                let reports = try await [finishA, finishB]
                let decisions = reports.flatMap(\.writtenDecisions.values).map(\.rawValue).sorted()
                #expect(decisions == ["ESCALATE", "MONITOR"], "round \(round)")
            }
        }
    }

    @Test(arguments: Path.allCases)
    func aFailedCompletionTransactionWritesNothingReleasesItsLocksAndLeavesItsConnectionUsable(path: Path) async throws {
        try await Fixture.with(path: path) { f in
            var configuration = f.db.configuration
            configuration.maxConnections = 1
            try await withCleanup(PostgresPool(configuration: configuration), cleanup: { await $0.close() }) { pool in
                let jobs = path.store(pool: pool, workerID: "worker-a", window: .seconds(3600))
                let id = try await f.alert(principal: "frank")
                let job = try #require(try await jobs.claim(leases: f.leases, limit: 1, jobLease: .seconds(30)).first)
                // The verdict insert fails (after the subject locks, and the job's delete).
                try await f.db.pool.query("ALTER TABLE verdict ADD CONSTRAINT refuse_rules CHECK (decided_by <> 'rules')")
                let verdict = VerdictRecord(decision: .monitor, rationale: "test", decidedBy: "rules")
                await #expect(throws: PostgresError.self) {
                    try await jobs.finish([Self.result(of: job, verdict: verdict, knownSubjects: path.knownSubjects)])
                }
                #expect(try await f.db.count("SELECT count(*) FROM verdict") == 0)
                #expect(try await f.db.count("SELECT count(*) FROM monitor_watch") == 0)
                #expect(try await f.db.count("SELECT count(*) FROM triage_job WHERE alert_id = $1 AND state = 'running'", [id]) == 1)
                let backend = try await pool.withConnection { await $0.backendPID }
                #expect(try await f.db.count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = $1", [Int(backend)]) == 0)
                // The pool's one connection is out of the failed transaction: the retry commits.
                try await f.db.pool.query("ALTER TABLE verdict DROP CONSTRAINT refuse_rules")
                let report = try await jobs.finish([Self.result(of: job, verdict: verdict, knownSubjects: path.knownSubjects)])
                #expect(report.applied == [job.key])
                #expect(try await f.verdict(id).decision == "MONITOR")
            }
        }
    }

    @Test(arguments: Path.allCases)
    func outboxRowsAreWrittenWithTheVerdictForSubscribedClassesOnly(path: Path) async throws {
        try await Fixture.with(window: .zero, path: path) { f in
            try await f.db.pool.query(
                "INSERT INTO webhook_subscription (name, decisions) VALUES ('soc', '{ESCALATE}'), ('all', '{ESCALATE,MONITOR,CLOSE}')")
            try await f.db.pool.query("INSERT INTO webhook_subscription (name, decisions, enabled) VALUES ('off', '{ESCALATE}', false)")
            let escalated = try await f.alert(principal: "erin")
            try await f.completeAll(.escalate)
            try await f.alert(principal: "erin")
            try await f.completeAll(.close)
            let rows = try await f.db.pool.query("SELECT subscription, alert_id, decision FROM webhook_outbox ORDER BY subscription, decision")
            let seen = try rows.map { "\(try $0.decode(String.self, at: 0)):\(try $0.decode(String.self, at: 2))" }
            #expect(seen == ["all:CLOSE", "all:ESCALATE", "soc:ESCALATE"])
            #expect(try rows[2].decode(UUID.self, at: 1) == escalated)
            #expect(try await f.db.count("SELECT count(*) FROM monitor_watch") == 0, "window zero: watch list off")

            // A stale completion (the lease moved on) writes neither a verdict nor a notification.
            try await f.alert(principal: "frank")
            let job = try #require(try await f.jobs.claim(leases: f.leases, limit: 1, jobLease: .seconds(30)).first)
            try await ShardLeaseStore(pool: f.db.pool, workerID: "worker-a")
                .release(shard: job.key.shard, expectedEpoch: f.leases[job.key.shard].epoch)
            let verdict = VerdictRecord(decision: .escalate, rationale: "test", decidedBy: "rules")
            let report = try await f.jobs.finish([JobResult(key: job.key, attempt: job.attempt, disposition: .complete, verdict: verdict)])
            #expect(report.applied.isEmpty)
            #expect(try await f.db.count("SELECT count(*) FROM webhook_outbox") == 3)
        }
    }

    @Test func pruningRemovesEscalatedAndExpiredEntriesOnly() async throws {
        try await Fixture.with(window: .seconds(600)) { f in
            try await f.alert(principal: "old", minutesAgo: 30)
            try await f.alert(principal: "recent", minutesAgo: 5)
            try await f.completeAll(.monitor)
            try await f.db.pool.query("UPDATE monitor_watch SET escalated_at = now() - interval '11 minutes' WHERE subject = 'principal:recent'")
            try await f.alert(principal: "fresh", minutesAgo: 1)
            try await f.completeAll(.monitor)
            let connection = try await PostgresConnection.connect(f.db.configuration)
            let removed = try await JobStore.pruneWatchList(on: connection, window: .seconds(600))
            await connection.close()
            #expect(removed == 2, "30 minutes is past two 10-minute windows; the escalated one is done")
            let left = try await f.db.pool.query("SELECT subject FROM monitor_watch").map { try $0.decode(String.self, at: 0) }
            #expect(left == ["principal:fresh"])
        }
    }

    @Test func wavesKeepSubjectsApartAndOrder() {
        let waves = JobStore.waves([("a", ["p:x"]), ("b", ["p:y"]), ("c", ["p:x", "r:z"]), ("d", ["r:z"]), ("e", [])])
        #expect(waves == [["a", "b", "e"], ["c"], ["d"]])
    }
}

extension MonitorRecurrenceTests.Path {
    func store(pool: PostgresPool, workerID: WorkerID, window: Duration) -> JobStore {
        var store = JobStore(pool: pool, workerID: workerID, monitorRecurrenceWindow: window)
        store.keptPlanBatchLimit = keptPlanBatchLimit
        return store
    }
}
