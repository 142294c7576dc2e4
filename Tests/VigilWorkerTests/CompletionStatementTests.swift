import Foundation
import Testing
import VigilCore
import VigilPostgres
@testable import VigilQueue
import VigilTestSupport

/// The completion (verdicts sent as parallel arrays, one row back per finished job) against a real PostgreSQL, with the
/// MONITOR watch list off and on, along both of its paths: `vigil_complete` (small batches) and the set-based statement
/// (with the watch list on, the locked, pipelined transaction).
@Suite(.serialized)
struct CompletionStatementTests {
    /// Runs `body` with a database with every shard lease held by `worker-a` and `count` ready jobs claimed by it (and
    /// the job store, the leases and the jobs), then drops the database, after a return and after a throw alike.
    private static func withClaimed(
        _ count: Int, shardCount: Int = 2, window: Duration, keptPlan: Bool,
        _ body: (QueueTestDatabase, JobStore, [LeaseToken], [ClaimedJob]) async throws -> Void
    ) async throws {
        try await QueueTestDatabase.with(shardCount: shardCount) { db in
            let leases = try await db.takeAllLeases(as: "worker-a")
            try await db.enqueue(count)
            var jobs = JobStore(pool: db.pool, workerID: "worker-a", monitorRecurrenceWindow: window)
            jobs.keptPlanBatchLimit = keptPlan ? .max : 0
            let claimed = try await jobs.claim(leases: leases, limit: count, jobLease: .seconds(30))
            #expect(claimed.count == count)
            try await body(db, jobs, leases, claimed)
        }
    }

    static let windows: [Duration] = [.zero, .seconds(3600)]

    /// The completion writer's connection of its own: every statement of a batch (completion, retry, dead-letter; the
    /// subjects read and the locked transaction with the watch list on) runs there, and the pool is never asked.
    @Test(arguments: windows, [true, false])
    func aWriterConnectionTakesTheWholeBatch(window: Duration, keptPlan: Bool) async throws {
        try await Self.withClaimed(3, window: window, keptPlan: keptPlan) { db, _, _, claimed in
            let untouched = PostgresPool(configuration: db.configuration)
            var writer = JobStore(pool: untouched, workerID: "worker-a", monitorRecurrenceWindow: window)
            writer.keptPlanBatchLimit = keptPlan ? .max : 0
            let connection = try await writer.writerConnection()
            let failure = JobError(code: .transient, message: "upstream timeout")
            let none = VerdictRecord(decision: .escalate, rationale: "", decidedBy: "none")
            let report = try await writer.finish(
                [
                    JobResult(job: claimed[0], disposition: .complete, verdict: VerdictRecord(decision: .monitor, rationale: "watch", decidedBy: "rules")),
                    JobResult(job: claimed[1], disposition: .retry(delay: .seconds(60), error: failure), verdict: none),
                    JobResult(job: claimed[2], disposition: .deadLetter(error: failure, attempts: 1), verdict: none),
                ], on: connection)
            await connection.close()
            #expect(report.applied == Set(claimed.map(\.key)))
            #expect(report.writtenDecisions == [claimed[0].key: .monitor])
            #expect(untouched.openConnections == 0, "no statement of the batch went through the pool")
            #expect(try await db.count("SELECT count(*) FROM verdict WHERE alert_id = $1", [claimed[0].key.alertID]) == 1)
            #expect(try await db.count("SELECT count(*) FROM triage_job WHERE alert_id = $1 AND state = 'ready'", [claimed[1].key.alertID]) == 1)
            #expect(try await db.count("SELECT count(*) FROM dead_job WHERE alert_id = $1", [claimed[2].key.alertID]) == 1)
            await untouched.close()
        }
    }

    @Test(arguments: windows, [true, false])
    func everyVerdictFieldIsStoredAsGiven(window: Duration, keptPlan: Bool) async throws {
        try await Self.withClaimed(2, window: window, keptPlan: keptPlan) { db, jobs, _, claimed in
            // Text that array literals and JSON must carry through: quotes, backslashes, commas, braces, the word NULL,
            // an empty string, non-ASCII.
            let awkward = ["say \"hi\"", "back\\slash", "a,b", "{braces}", "NULL", "", "größe ✓"]
            let rich = VerdictRecord(
                decision: .close, confidence: 0.375, rationale: "line one\nline \"two\" \\ {x}", decidedBy: "rules",
                guardrails: awkward, flags: ["f1", "NULL"],
                evidence: [.object(["id": .string("ev-1"), "n": .int(3), "nested": .array([.null, .bool(true), .double(1.5)])])],
                recommendedAction: "Rotate the key, then \"review\".", triage: ["path": .string("rules"), "score": .double(0.25)])
            let bare = VerdictRecord(decision: .escalate, rationale: "", decidedBy: "placeholder")
            let report = try await jobs.finish([
                JobResult(job: claimed[0], disposition: .complete, verdict: rich),
                JobResult(job: claimed[1], disposition: .complete, verdict: bare),
            ])
            #expect(report.applied == Set(claimed.map(\.key)))
            #expect(report.writtenDecisions == [claimed[0].key: .close, claimed[1].key: .escalate])
            #expect(report.duplicateVerdicts.isEmpty)

            let sql = """
                SELECT decision, confidence, rationale, decided_by, guardrails, flags, evidence::text, recommended_action, triage::text,
                    worker, attempt, lease_epoch
                FROM verdict WHERE shard = $1 AND alert_id = $2
                """
            let first = try #require(try await db.pool.query(sql, [claimed[0].key.shard, claimed[0].key.alertID]).first)
            #expect(try first.decode(String.self, at: 0) == "CLOSE")
            #expect(try first.decode(Double?.self, at: 1) == 0.375)
            #expect(try first.decode(String.self, at: 2) == rich.rationale)
            #expect(try first.decode(String.self, at: 3) == "rules")
            #expect(try first.decode([String].self, at: 4) == awkward)
            #expect(try first.decode([String].self, at: 5) == ["f1", "NULL"])
            #expect(try first.decode(String?.self, at: 7) == rich.recommendedAction)
            #expect(try first.decode(String.self, at: 9) == "worker-a")
            #expect(try first.decode(Int.self, at: 10) == claimed[0].attempt)
            #expect(try first.decode(Int64.self, at: 11) == claimed[0].leaseEpoch)
            // jsonb keeps its own key order, so the documents are compared as jsonb.
            let same = try await db.pool.query(
                "SELECT evidence = $3::jsonb, triage = $4::jsonb FROM verdict WHERE shard = $1 AND alert_id = $2",
                [claimed[0].key.shard, claimed[0].key.alertID, PostgresJSON(JSONValue.array(rich.evidence).jsonText),
                 PostgresJSON(JSONValue.object(rich.triage).jsonText)])
            #expect(try same[0].decode(Bool.self, at: 0) && same[0].decode(Bool.self, at: 1))

            let second = try #require(try await db.pool.query(sql, [claimed[1].key.shard, claimed[1].key.alertID]).first)
            #expect(try second.decode(Double?.self, at: 1) == nil, "no confidence is NULL, not 0")
            #expect(try second.decode(String.self, at: 2) == "")
            #expect(try second.decode([String].self, at: 4) == [])
            #expect(try second.decode(String?.self, at: 7) == nil)
            #expect(try second.decode(String.self, at: 6) == "[]")
            #expect(try second.decode(String.self, at: 8) == "{}")
            #expect(try await db.count("SELECT count(*) FROM triage_job") == 0, "finished jobs leave the job table")
        }
    }

    /// One batch: each row is fenced on its own. A fresh result is written; a result for an
    /// attempt the job is no longer at, and one for a job whose shard lease moved on, change nothing and are counted
    /// stale; a result for an alert that already has a verdict removes the job and keeps the first verdict.
    @Test(arguments: windows, [true, false])
    func eachRowOfABatchIsFencedOnItsOwnAndVerdictsStayOnePerAlert(window: Duration, keptPlan: Bool) async throws {
        try await Self.withClaimed(8, shardCount: 2, window: window, keptPlan: keptPlan) { db, jobs, leases, claimed in
            let onShard0 = claimed.filter { $0.key.shard == 0 }
            let onShard1 = claimed.filter { $0.key.shard == 1 }
            try #require(onShard0.count >= 2 && onShard1.count >= 2)
            let fresh = onShard0[0]
            let wrongAttempt = onShard0[1]
            let duplicate = onShard1[0]
            let leaseLost = onShard1[1]
            try await db.pool.query(
                """
                INSERT INTO verdict (shard, alert_id, decision, rationale, decided_by, worker, lease_epoch, attempt, enqueued_at)
                VALUES ($1, $2, 'ESCALATE', 'first', 'test', 'earlier', 1, 1, now())
                """, [duplicate.key.shard, duplicate.key.alertID])
            let verdict = VerdictRecord(decision: .close, rationale: "second", decidedBy: "rules")
            let results = [
                JobResult(job: fresh, disposition: .complete, verdict: verdict),
                JobResult(key: wrongAttempt.key, attempt: wrongAttempt.attempt + 1, disposition: .complete, verdict: verdict),
                JobResult(job: duplicate, disposition: .complete, verdict: verdict),
            ]
            let first = try await jobs.finish(results)
            #expect(first.applied == [fresh.key, duplicate.key])
            #expect(first.duplicateVerdicts == [duplicate.key])
            #expect(first.writtenDecisions == [fresh.key: .close])
            #expect(try await QueueCounter.read(QueueCounter.staleCompletions, from: db.pool) == 1)
            #expect(try await QueueCounter.read(QueueCounter.duplicateVerdicts, from: db.pool) == 1)
            #expect(try await db.count("SELECT count(*) FROM verdict WHERE rationale = 'first'") == 1)
            #expect(try await db.count("SELECT count(*) FROM verdict WHERE alert_id = $1", [duplicate.key.alertID]) == 1)
            #expect(try await db.count("SELECT count(*) FROM triage_job WHERE alert_id = $1 AND state = 'running'", [wrongAttempt.key.alertID]) == 1)
            #expect(try await db.count("SELECT count(*) FROM verdict WHERE alert_id = $1", [wrongAttempt.key.alertID]) == 0)

            // Shard 1's lease moves on: its remaining job's result is refused, shard 0's still go through.
            try await ShardLeaseStore(pool: db.pool, workerID: "worker-a").release(shard: 1, expectedEpoch: leases[1].epoch)
            let second = try await jobs.finish([
                JobResult(job: leaseLost, disposition: .complete, verdict: verdict),
                JobResult(job: wrongAttempt, disposition: .complete, verdict: verdict),
            ])
            #expect(second.applied == [wrongAttempt.key])
            #expect(try await QueueCounter.read(QueueCounter.staleCompletions, from: db.pool) == 2)
            #expect(try await db.count("SELECT count(*) FROM verdict WHERE alert_id = $1", [leaseLost.key.alertID]) == 0)
            #expect(try await db.count("SELECT count(*) FROM triage_job WHERE alert_id = $1", [leaseLost.key.alertID]) == 1)
            #expect(try await db.count("SELECT count(*) FROM verdict") == 3)
        }
    }

    /// Migration 13: a triage document of kilobytes (an AI verdict's is about 4 KB) is compressed with lz4 and kept in the
    /// verdict's row. The document here still takes more than 2 KB compressed (random hex), so with the defaults it
    /// would go to the TOAST table, pglz-compressed: the test fails without the migration.
    @Test(arguments: [true, false])
    func verdictDocumentsStayInTheirRow(keptPlan: Bool) async throws {
        try await Self.withClaimed(1, window: .zero, keptPlan: keptPlan) { db, jobs, _, claimed in
            var generator = SystemRandomNumberGenerator()
            let noise = (0..<48).map { _ in (0..<8).map { _ in String(generator.next() as UInt64, radix: 16) }.joined() }
            let verdict = VerdictRecord(decision: .close, rationale: "r", decidedBy: "ai", triage: ["audit": .array(noise.map { .string($0) })])
            let report = try await jobs.finish([JobResult(job: claimed[0], disposition: .complete, verdict: verdict)])
            #expect(report.applied == [claimed[0].key])
            let stored = try #require(
                try await db.pool.query(
                    "SELECT pg_column_compression(triage), pg_column_size(triage), octet_length(triage::text), triage = $1::jsonb FROM verdict",
                    [PostgresJSON(JSONValue.object(verdict.triage).jsonText)]
                ).first)
            let (compressed, size, textLength) = (try stored.decode(String?.self, at: 0), try stored.decode(Int.self, at: 1), try stored.decode(Int.self, at: 2))
            #expect(compressed == "lz4")
            #expect(textLength > 5_000 && size > 2_100 && size < textLength, "compressed, and still wider than 2 KB")
            #expect(try stored.decode(Bool.self, at: 3), "the document reads back as written")
            let toast = try #require(
                try await db.pool.query("SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = 'verdict'::regclass").first)
            #expect(try await db.count("SELECT count(*) FROM \(try toast.decode(String.self, at: 0))") == 0, "nothing moved out of line")
        }
    }

    @Test func completionColumnsLineUpOneElementPerResult() {
        let key = ClaimedJob.Key(shard: 3, alertID: UUID())
        let verdict = VerdictRecord(
            decision: .monitor, confidence: 0.5, rationale: "r", decidedBy: "llm", guardrails: ["g\"1"], flags: [],
            evidence: [.string("e")], triage: ["k": .int(1)])
        let columns = CompletionColumns([
            JobResult(key: key, attempt: 2, disposition: .complete, verdict: verdict),
            JobResult(key: key, attempt: 3, disposition: .complete, verdict: VerdictRecord(decision: .close, rationale: "", decidedBy: "x")),
        ])
        #expect(columns.attempts == [2, 3])
        #expect(columns.decisions == ["MONITOR", "CLOSE"])
        #expect(columns.confidences == ["0.5", nil])
        #expect(columns.guardrails == ["{\"g\\\"1\"}", "{}"])
        #expect(columns.flags == ["{}", "{}"])
        #expect(columns.evidence == ["[\"e\"]", "[]"])
        #expect(columns.triage == ["{\"k\":1}", "{}"])
        #expect(columns.recommendedActions == [nil, nil])
    }

    /// `vigil_complete` keeps its plans for the life of the connection. Plans made while the tables held one row (and
    /// had been analysed so) must still reach each row through its key once they hold 20,000 and no ANALYZE has run
    /// since: no sequential scan of the queue's tables and no index walked through. Fails if the function's planner
    /// settings are dropped, or if its fence tests `state` (then its plan walks `triage_job_running`).
    @Test func plansMadeOnNearlyEmptyTablesStayKeyLookups() async throws {
        try await QueueTestDatabase.with(shardCount: 2) { db in
            let tables = ["triage_job", "alert", "verdict", "monitor_watch", "shard_lease"]
            for table in tables { try await db.pool.query("ALTER TABLE \(table) SET (autovacuum_enabled = false)") }
            let leases = try await db.takeAllLeases(as: "worker-a")
            let jobs = JobStore(pool: db.pool, workerID: "worker-a", monitorRecurrenceWindow: .seconds(3600))
            try await withCleanup(PostgresConnection.connect(db.configuration), cleanup: { await $0.close() }) { connection in
                let monitor = VerdictRecord(decision: .monitor, rationale: "test", decidedBy: "rules")
                func claim(_ limit: Int) async throws -> [ClaimedJob] {
                    try await jobs.claim(leases: leases, limit: limit, jobLease: .seconds(30), on: connection)
                }
                func complete(_ claimed: [ClaimedJob]) async throws -> [String?] {
                    let results = claimed.map { JobResult(job: $0, disposition: .complete, verdict: monitor) }
                    let statement = jobs.completeStatement(results, window: 3_600_000, sql: JobStore.completeKeptPlanSQL)
                    return try await connection.run(statement).map { try $0.decode(String?.self, at: 2) }
                }

                try await db.enqueue(1, prefix: "first")
                // Statistics of the nearly empty tables, as autovacuum leaves them on an idle cluster.
                for table in tables { try await db.pool.query("ANALYZE \(table)") }
                #expect(try await complete(claim(1)).count == 1)

                // 20,000 jobs, each about a principal that already has an open watch row: every completion below is a recurrence.
                try await db.enqueue(20_000)
                try await db.pool.query(
                    """
                    INSERT INTO monitor_watch (subject, alert_id, shard, occurred_at)
                    SELECT 'principal:user-' || g, gen_random_uuid(), 0, now() FROM generate_series(1, 20000) g
                    """)
                let claimed = try await claim(50)
                #expect(claimed.count == 50)
                // At most a few entries per job from any one index (a watch lookup finds its subject's one row).
                let written = try await connection.expectKeyLookups("the completion", tables: tables) { try await complete(claimed) }
                #expect(written == Array(repeating: "ESCALATE", count: 50))
            }
        }
    }
}
