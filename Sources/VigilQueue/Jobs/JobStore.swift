import Foundation
import VigilCore
import VigilPostgres

/// The worker's statements on `triage_job`: claim, job-lease heartbeat, finish (complete, retry, dead-letter)
/// and hand-back. Every statement is one round trip and one implicit transaction.
///
/// Fencing: a write about a claimed job succeeds only while the job row still has `state = 'running'`,
/// `owner = $me` and the attempt it was claimed with, **and** the job's shard lease still has `owner = $me`
/// at the epoch the job was claimed under. A write that fails the fence changes nothing but the
/// `stale_completions` counter (in the same statement).
public struct JobStore: Sendable {
    public let pool: PostgresPool
    public let workerID: WorkerID
    /// How far apart in `occurred_at` two alerts about the same principal or resource may be for the later one to
    /// count as a recurrence of an earlier MONITOR verdict (default 24 h; zero turns the watch list off).
    public var monitorRecurrenceWindow: Duration
    /// Batches of up to this many completions are written by `vigil_complete` (``completeKeptPlanSQL``), larger ones
    /// by the set-based ``completeSQL``. The function's plans are kept per connection (about 0.2 ms for one job
    /// against about 2 ms, most of it planning); the statement is planned on every call but costs less per job, so
    /// a loaded worker's large batches are faster through it.
    public var keptPlanBatchLimit = 16

    public init(pool: PostgresPool, workerID: WorkerID, monitorRecurrenceWindow: Duration = .seconds(86_400)) {
        self.pool = pool
        self.workerID = workerID
        self.monitorRecurrenceWindow = monitorRecurrenceWindow
    }

    // MARK: Claim

    /// Claims up to `limit` ready jobs due now on `leases`, in one statement.
    ///
    /// $1 me, $2 shards, $3 epochs (same order), $4 limit, $5 job-lease milliseconds. `picked` keeps the shards
    /// whose lease this worker still holds at the given epoch (owner, epoch and expiry checked in the statement's
    /// snapshot, so a lease lost since the caller's last tick claims nothing), then takes each such shard's due jobs
    /// oldest first through the partial index `triage_job_ready` (an index scan that stops at the limit, however
    /// long the backlog), skipping rows other claims hold. `claimed` marks them running under that epoch; the alerts
    /// are read last, by primary key.
    ///
    /// Written as three small steps rather than one five-way join: PostgreSQL plans it in about a quarter of the
    /// time (0.3 ms instead of 1.2 ms on an idle server). And written so that one plan serves every table size (the
    /// claim connection keeps it, see ``claimConnection()``): every step reaches its rows by key whatever the
    /// planner believes about the tables' sizes. `claimed` finds each picked job by the `ctid` `picked` locked (a
    /// TID scan: no other access path exists for it), and each alert is read in a subquery of its own (`OFFSET 0`
    /// keeps it from being merged into a join the planner could run as a walk of the whole `alert_pkey`).
    static let claimSQL = """
        WITH picked AS (
            SELECT r.ctid, r.shard, r.alert_id, t.epoch
            FROM unnest($2::int[], $3::int8[]) AS t(shard, epoch)
            CROSS JOIN LATERAL (
                SELECT j.ctid, j.shard, j.alert_id FROM triage_job j
                WHERE j.shard = t.shard AND j.state = 'ready' AND j.run_at <= now()
                ORDER BY j.run_at LIMIT $4 FOR UPDATE SKIP LOCKED
            ) r
            WHERE EXISTS (
                SELECT FROM shard_lease l WHERE l.shard = t.shard AND l.epoch = t.epoch AND l.owner = $1 AND l.expires_at > now())
            LIMIT $4
        ), claimed AS (
            UPDATE triage_job j
            SET state = 'running', attempt = j.attempt + 1, owner = $1, lease_epoch = p.epoch,
                lease_expires_at = now() + $5 * interval '1 millisecond'
            FROM picked p
            WHERE j.ctid = p.ctid
            RETURNING j.shard, j.alert_id, j.attempt, j.max_attempts, j.lease_epoch, j.previous_delay_ms
        )
        SELECT c.shard, c.alert_id, c.attempt, c.max_attempts, c.lease_epoch, c.previous_delay_ms,
            a.source, a.external_id, a.kind, a.severity, a.occurred_at, a.principal, a.resource, a.account, a.source_ip, a.payload
        FROM claimed c CROSS JOIN LATERAL (
            SELECT a.source, a.external_id, a.kind, a.severity, a.occurred_at, a.principal, a.resource, a.account,
                host(a.source_ip) AS source_ip, a.payload::text AS payload
            FROM alert a WHERE a.shard = c.shard AND a.id = c.alert_id
            OFFSET 0
        ) a
        """

    /// The claim connection's settings: its claims commit without waiting for the WAL flush (a claim lost in a
    /// server crash only returns its jobs to ready, and their completions are then refused by the fence), and the
    /// claim's plan is made once and kept (`force_generic_plan`; planning was about 0.3 of the 0.75 ms a one-job
    /// claim took). Sequential scans, bitmap scans and sorts are off so that the kept plan cannot be one that reads
    /// a table, or a shard's whole backlog, to find a few rows: a plan made while the tables were nearly empty
    /// would otherwise do so once they are not (a sort of each shard's ready jobs instead of reading
    /// `triage_job_ready` in order up to the limit was seen).
    static let claimSessionSQL = """
        SET synchronous_commit = off; SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off; \
        SET enable_bitmapscan = off; SET enable_sort = off
        """

    /// A connection of its own for the claim loop (``claimSessionSQL``): only ``claim(leases:limit:jobLease:on:)``
    /// is meant to run on it.
    public func claimConnection() async throws -> PostgresConnection {
        let connection = try await PostgresConnection.connect(pool.configuration)
        do {
            try await connection.executeScript(Self.claimSessionSQL)
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    /// Claims up to `limit` jobs under `leases` with a job lease of `jobLease`. Rotate `leases` between calls to
    /// spread claims over the shards.
    ///
    /// - Throws: ``PostgresError``; a row whose alert cannot be read back is a `.decoding` error.
    ///
    /// - Parameter connection: the connection to claim on (the claim loop keeps one from ``claimConnection()``,
    ///   which keeps the claim's plan); nil takes one from the pool, where the claim is planned on every call.
    ///
    /// Runs on the caller's executor: called from code isolated to `connection` (the claim loop), the statement is
    /// sent without a hop to another thread.
    public nonisolated(nonsending) func claim(
        leases: [LeaseToken], limit: Int, jobLease: Duration, on connection: PostgresConnection? = nil
    ) async throws -> [ClaimedJob] {
        guard !leases.isEmpty, limit > 0 else { return [] }
        // Prepared, so parsed once per connection; planned once on a claim connection, on every call elsewhere.
        let statement = PostgresStatement(
            Self.claimSQL, [workerID.rawValue, leases.map(\.shard), leases.map(\.epoch), limit, jobLease.milliseconds], prepared: true)
        let result =
            if let connection { try await connection.run(statement) } else { try await pool.run(statement) }
        var jobs: [ClaimedJob] = []
        jobs.reserveCapacity(result.count)
        let parser = JSONParser(duplicateKeys: .lastWins)
        for row in result {
            let payloadText = try row.decode(String.self, at: 15)
            let payload: JSONValue
            do {
                payload = try parser.parse(payloadText)
            } catch {
                throw PostgresError(code: .decoding, message: "a claimed alert's payload is not valid JSON")
            }
            let severityText = try row.decode(String.self, at: 9)
            let alert = Alert(
                source: try row.decode(String.self, at: 6), externalID: try row.decode(String.self, at: 7),
                kind: try row.decode(String.self, at: 8), severity: Severity(lenient: severityText) ?? .medium,
                occurredAt: try row.decode(Date.self, at: 10), principal: try row.decode(String?.self, at: 11),
                resource: try row.decode(String?.self, at: 12), account: try row.decode(String?.self, at: 13),
                sourceIP: try row.decode(String?.self, at: 14), payload: payload)
            let previousDelay = try row.decode(Int64?.self, at: 5).map { Duration.milliseconds($0) }
            jobs.append(
                ClaimedJob(
                    key: .init(shard: try row.decode(Int.self, at: 0), alertID: try row.decode(UUID.self, at: 1)),
                    attempt: try row.decode(Int.self, at: 2), maxAttempts: try row.decode(Int.self, at: 3),
                    leaseEpoch: try row.decode(Int64.self, at: 4), previousDelay: previousDelay, alert: alert))
        }
        return jobs
    }

    // MARK: Expired jobs

    /// $1 me, $2 shards, $3 epochs. Running jobs on these leases (still held at these epochs) that can no longer
    /// finish become ready now: those claimed under an earlier epoch of the shard (their worker lost the lease, so
    /// the fence refuses their results) and those whose job lease expired (their worker stopped heartbeating).
    /// Counted in `rescued_jobs`.
    ///
    /// The running jobs are read once, through the small partial index `triage_job_running`, and matched to the
    /// leases in memory: looked up per shard, the planner walked each held shard's whole backlog by primary key (about
    /// 100 ms a tick with four workers and 50,000 jobs queued). The UPDATE checks the row again (epoch, expiry), so a
    /// job finished, retried or heartbeated meanwhile is left alone; it does not test `state` (a ready row's lease
    /// columns are NULL, so the test fails on it anyway) so that it finds each row by primary key rather than by
    /// walking the running-jobs index once per row.
    static let readyExpiredSQL = """
        WITH owned AS (
            SELECT t.shard, t.epoch FROM unnest($2::int[], $3::int8[]) AS t(shard, epoch)
            JOIN shard_lease l ON l.shard = t.shard AND l.epoch = t.epoch AND l.owner = $1
        ), running AS MATERIALIZED (
            SELECT shard, alert_id, lease_epoch, lease_expires_at FROM triage_job WHERE state = 'running'
        ), expired AS (
            SELECT r.shard, r.alert_id, o.epoch FROM running r JOIN owned o ON o.shard = r.shard
            WHERE r.lease_epoch <> o.epoch OR r.lease_expires_at < now()
        ), rescued AS (
            UPDATE triage_job j SET state = 'ready', run_at = now(), owner = NULL, lease_epoch = NULL, lease_expires_at = NULL,
                last_error = 'interrupted: job lease expired or its shard lease was lost'
            FROM expired e
            WHERE j.shard = e.shard AND j.alert_id = e.alert_id AND (j.lease_epoch <> e.epoch OR j.lease_expires_at < now())
            RETURNING j.shard
        ), \(QueueCounter.incrementCTE("counted", counter: QueueCounter.rescuedJobs, countingRowsOf: "rescued"))
        SELECT count(*) FROM rescued
        """

    /// Makes running jobs on `leases` that cannot finish any more ready again (see ``readyExpiredSQL``), so the
    /// shard's owner claims them at once rather than waiting for the maintenance leader (who may be the very
    /// process that stopped). Run after taking a lease and once per lease tick.
    ///
    /// - Returns: how many jobs were made ready.
    @discardableResult
    public func readyExpired(leases: [LeaseToken]) async throws -> Int {
        guard !leases.isEmpty else { return 0 }
        return try await pool.query(Self.readyExpiredSQL, [workerID.rawValue, leases.map(\.shard), leases.map(\.epoch)])[0]
            .decode(Int.self, at: 0)
    }

    // MARK: Heartbeat

    /// $1 me, $2 shards, $3 alert ids, $4 job-lease milliseconds.
    static let extendSQL = """
        UPDATE triage_job j SET lease_expires_at = now() + $4 * interval '1 millisecond'
        FROM unnest($2::int[], $3::uuid[]) AS t(shard, alert_id), shard_lease l
        WHERE j.shard = t.shard AND j.alert_id = t.alert_id AND j.state = 'running' AND j.owner = $1
          AND l.shard = j.shard AND l.owner = $1 AND l.epoch = j.lease_epoch
        """

    /// Extends the job leases of `jobs` to `now() + jobLease`; jobs whose shard lease was lost are left to expire.
    ///
    /// - Returns: how many job rows were extended.
    @discardableResult
    public func extendLeases(_ jobs: [ClaimedJob.Key], jobLease: Duration) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        return try await pool.query(
            Self.extendSQL, [workerID.rawValue, jobs.map(\.shard), jobs.map(\.alertID), jobLease.milliseconds]
        ).affectedRows
    }

    // MARK: Finish

    /// The fence shared by every finishing statement, with `d` the submitted rows (shard, alert_id, attempt).
    private static let fence = """
        j.shard = d.shard AND j.alert_id = d.alert_id AND j.state = 'running' AND j.owner = $1 AND j.attempt = d.attempt
              AND l.shard = j.shard AND l.owner = $1 AND l.epoch = j.lease_epoch
        """

    /// Counts `submitted - done` stale writes; the CTE must be named `stale`.
    private static func staleCounter(submitted: String, done: String) -> String {
        """
        stale AS (
            INSERT INTO queue_counter (name, value)
            SELECT '\(QueueCounter.staleCompletions)', n FROM (SELECT (SELECT count(*) FROM \(submitted)) - (SELECT count(*) FROM \(done)) AS n) s
            WHERE n > 0
            ON CONFLICT (name) DO UPDATE SET value = queue_counter.value + EXCLUDED.value
        )
        """
    }

    /// $1 me; $2…$13 the completions as parallel arrays, one element per job (see ``CompletionColumns``): shard,
    /// alert id, attempt, decision, confidence (text), rationale, decided_by, guardrails and flags (each an array
    /// literal), evidence and triage (each JSON text), recommended action; $14 the MONITOR recurrence window in
    /// milliseconds (0: off). Deletes each fenced job and writes its verdict (first verdict wins: `ON CONFLICT DO
    /// NOTHING`, counted as `duplicate_verdicts`), counting stale submissions. Returns a row per finished job: its
    /// key and the decision its verdict was written with, NULL when a verdict was already there.
    ///
    /// Arrays rather than one JSON document: PostgreSQL parses a batch of arrays in about a third of the CPU time
    /// `jsonb_in` and `jsonb_to_recordset` take for the same rows.
    ///
    /// In the same statement, for the verdicts it writes:
    /// - **MONITOR recurrence**: an alert whose principal or resource has open `monitor_watch` rows of other alerts
    ///   that occurred within the window is written as ESCALATE, whatever the step decided, with the guardrail
    ///   `monitor_recurrence`, the flags `monitor_recurrence` and `recurrence_of:<earlier id>`, and
    ///   `triage.recurrence` (earlier ids, original decision, window); those watch rows are marked escalated by it.
    ///   A MONITOR verdict otherwise joins the watch list under each of its subjects.
    /// - **Notifications**: an outbox row per enabled `webhook_subscription` whose classes include the decision.
    static let completeSQL = """
        WITH done AS (
            SELECT d.shard, d.alert_id, d.attempt, d.decision, d.confidence::float8 AS confidence, d.rationale, d.decided_by,
                d.guardrails::text[] AS guardrails, d.flags::text[] AS flags, d.evidence::jsonb AS evidence, d.recommended_action,
                d.triage::jsonb AS triage
            FROM unnest($2::int[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                $11::text[], $12::text[], $13::text[])
                AS d(shard, alert_id, attempt, decision, confidence, rationale, decided_by, guardrails, flags, evidence, recommended_action,
                    triage)
        ), finished AS (
            DELETE FROM triage_job j USING done d, shard_lease l
            WHERE \(fence)
            RETURNING j.shard, j.alert_id, j.attempt, j.lease_epoch, j.enqueued_at
        ), subjects AS (
            SELECT f.shard, f.alert_id, a.occurred_at, s.subject
            FROM finished f JOIN alert a ON a.shard = f.shard AND a.id = f.alert_id
            CROSS JOIN LATERAL (VALUES ('principal:' || nullif(a.principal, '')), ('resource:' || nullif(a.resource, ''))) s(subject)
            WHERE s.subject IS NOT NULL AND $14 > 0
        ), earlier AS (
            SELECT s.shard, s.alert_id, array_agg(DISTINCT w.alert_id::text) AS ids
            FROM subjects s JOIN monitor_watch w ON w.subject = s.subject AND w.escalated_by IS NULL AND w.alert_id <> s.alert_id
                AND w.occurred_at BETWEEN s.occurred_at - $14 * interval '1 millisecond' AND s.occurred_at + $14 * interval '1 millisecond'
            GROUP BY s.shard, s.alert_id
        ), written AS (
            INSERT INTO verdict (shard, alert_id, decision, confidence, rationale, decided_by, guardrails, flags, evidence,
                recommended_action, triage, worker, lease_epoch, attempt, enqueued_at)
            SELECT f.shard, f.alert_id, CASE WHEN e.ids IS NULL THEN d.decision ELSE 'ESCALATE' END, d.confidence, d.rationale,
                d.decided_by,
                CASE WHEN e.ids IS NULL THEN d.guardrails ELSE array_append(d.guardrails, '\(recurrenceGuardrail)') END,
                CASE WHEN e.ids IS NULL THEN d.flags
                    ELSE d.flags || '\(recurrenceGuardrail)'::text
                        || ARRAY(SELECT '\(recurrenceFlagPrefix)' || i FROM unnest(e.ids) i ORDER BY i) END,
                d.evidence, d.recommended_action,
                CASE WHEN e.ids IS NULL THEN d.triage
                    ELSE d.triage || jsonb_build_object('recurrence', jsonb_build_object(
                        'earlier_alert_ids', to_jsonb(e.ids), 'original_decision', d.decision, 'window_seconds', $14 / 1000.0)) END,
                $1, f.lease_epoch, f.attempt, f.enqueued_at
            FROM finished f JOIN done d ON d.shard = f.shard AND d.alert_id = f.alert_id
            LEFT JOIN earlier e ON e.shard = f.shard AND e.alert_id = f.alert_id
            ON CONFLICT (shard, alert_id) DO NOTHING
            RETURNING shard, alert_id, decision
        ), watched AS (
            INSERT INTO monitor_watch (subject, alert_id, shard, occurred_at)
            SELECT s.subject, s.alert_id, s.shard, s.occurred_at
            FROM written w JOIN subjects s ON s.shard = w.shard AND s.alert_id = w.alert_id
            WHERE w.decision = 'MONITOR'
            ON CONFLICT DO NOTHING
        ), escalated AS (
            UPDATE monitor_watch m SET escalated_by = e.alert_id, escalated_at = now()
            FROM earlier e JOIN written w ON w.shard = e.shard AND w.alert_id = e.alert_id
            WHERE m.alert_id = ANY (e.ids::uuid[]) AND m.escalated_by IS NULL
        ), outbox AS (
            INSERT INTO webhook_outbox (shard, alert_id, subscription, decision)
            SELECT w.shard, w.alert_id, s.name, w.decision
            FROM written w JOIN webhook_subscription s ON s.enabled AND w.decision = ANY (s.decisions)
            ON CONFLICT DO NOTHING
        ), \(staleCounter(submitted: "done", done: "finished")), duplicates AS (
            INSERT INTO queue_counter (name, value)
            SELECT '\(QueueCounter.duplicateVerdicts)', n FROM (SELECT (SELECT count(*) FROM finished) - (SELECT count(*) FROM written) AS n) s
            WHERE n > 0
            ON CONFLICT (name) DO UPDATE SET value = queue_counter.value + EXCLUDED.value
        )
        SELECT f.shard, f.alert_id, w.decision FROM finished f LEFT JOIN written w ON w.shard = f.shard AND w.alert_id = f.alert_id
        """

    /// ``completeSQL`` as a call of `vigil_complete` (migration 12, whose comments state its contract), with the same
    /// parameters and the same rows back. The same work, fence and counters, as statements on one row each whose plans
    /// the connection keeps; it takes the batch's subject locks itself and finishes the jobs in order, each seeing what
    /// the ones before it wrote (what ``complete(_:into:)`` does with waves for ``completeSQL``).
    static let completeKeptPlanSQL = """
        SELECT finished_shard, finished_alert_id, written_decision
        FROM vigil_complete($1, $2::int[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
            $10::text[], $11::text[], $12::text[], $13::text[], $14)
        """

    /// $1 me, $2 a JSON array of (shard, alert_id, attempt, delay_ms, error). Makes each fenced job ready again
    /// at `now() + delay`, keeping the error and the delay.
    static let retrySQL = """
        WITH d AS (
            SELECT * FROM jsonb_to_recordset($2::jsonb) AS d(shard int, alert_id uuid, attempt int, delay_ms int8, error text)
        ), moved AS (
            UPDATE triage_job j
            SET state = 'ready', run_at = now() + d.delay_ms * interval '1 millisecond', owner = NULL, lease_epoch = NULL,
                lease_expires_at = NULL, previous_delay_ms = d.delay_ms, last_error = d.error
            FROM d, shard_lease l
            WHERE \(fence)
            RETURNING j.shard, j.alert_id
        ), \(staleCounter(submitted: "d", done: "moved"))
        SELECT shard, alert_id, false FROM moved
        """

    /// $1 me, $2 a JSON array of (shard, alert_id, attempt, error). Moves each fenced job to `dead_job`.
    static let deadLetterSQL = """
        WITH d AS (
            SELECT * FROM jsonb_to_recordset($2::jsonb) AS d(shard int, alert_id uuid, attempt int, error text)
        ), removed AS (
            DELETE FROM triage_job j USING d, shard_lease l
            WHERE \(fence)
            RETURNING j.shard, j.alert_id, j.attempt, j.enqueued_at, d.error
        ), buried AS (
            INSERT INTO dead_job (shard, alert_id, attempts, last_error, enqueued_at)
            SELECT shard, alert_id, attempt, error, enqueued_at FROM removed
            ON CONFLICT (shard, alert_id) DO UPDATE
            SET attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error, died_at = now()
        ), \(staleCounter(submitted: "d", done: "removed"))
        SELECT shard, alert_id, false FROM removed
        """

    /// A connection of its own for the completion writer (``finish(_:on:)``).
    ///
    /// A connection makes the completion's plans once (`vigil_complete`'s statements, the prepared set-based
    /// statement) and again after every invalidation of the tables they read, which each autovacuum or autoanalyze
    /// of them causes (about once a minute before migration 0014 made them rarer). Written on pool connections taken
    /// in turn, each of them paid that (3-10 ms, a slow verdict commit) after every such run; on one connection the
    /// writer pays it once a run, and never waits for a pooled connection that tools are using.
    public func writerConnection() async throws -> PostgresConnection {
        try await PostgresConnection.connect(pool.configuration)
    }

    /// Runs `body` on `connection`, or on a pooled connection when it is nil.
    func using<T>(_ connection: PostgresConnection?, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        if let connection { return try await body(connection) }
        return try await pool.withConnection(body)
    }

    /// Writes the results of finished attempts: completions, retries and dead-letters, each kind in one fenced
    /// statement (so each job's change is atomic: verdict and job removal commit together or not at all).
    ///
    /// - Parameter connection: where to write (the writer keeps one from ``writerConnection()``); nil takes pooled
    ///   connections. After an error, a given connection may be left inside a failed transaction: close it.
    /// - Returns: which results took effect; the others were stale (counted in `stale_completions`).
    /// - Throws: ``PostgresError``; on error nothing of the failed statement took effect.
    public func finish(_ results: [JobResult], on connection: PostgresConnection? = nil) async throws -> FinishReport {
        var completions: [JobResult] = []
        var retries: [JSONValue] = []
        var deadLetters: [JSONValue] = []
        for result in results {
            if case .complete = result.disposition {
                completions.append(result)
                continue
            }
            var row: JSONObject = [
                "shard": .int(Int64(result.key.shard)), "alert_id": .string(result.key.alertID.postgresText),
                "attempt": .int(Int64(result.attempt)),
            ]
            switch result.disposition {
            case .complete:
                continue
            case .retry(let delay, let error):
                row["delay_ms"] = .int(delay.milliseconds)
                row["error"] = .string(error.description)
                retries.append(.object(row))
            case .deadLetter(let error, _):
                row["error"] = .string(error.description)
                deadLetters.append(.object(row))
            }
        }
        var report = FinishReport()
        if !completions.isEmpty { try await complete(completions, on: connection, into: &report) }
        for (sql, rows) in [(Self.retrySQL, retries), (Self.deadLetterSQL, deadLetters)] where !rows.isEmpty {
            let parameters: [any PostgresEncodable] = [workerID.rawValue, PostgresJSON(JSONValue.array(rows).jsonText)]
            let result = try await using(connection) { try await $0.query(sql, parameters) }
            for row in result {
                report.applied.insert(ClaimedJob.Key(shard: try row.decode(Int.self, at: 0), alertID: try row.decode(UUID.self, at: 1)))
            }
        }
        return report
    }

    /// The statement that writes `completions` (``completeSQL``) with the MONITOR recurrence window `window`.
    /// Prepared (parsed once per connection: its text is 5 KB) and planned on every call: it joins `triage_job` and
    /// `alert`, and a generic plan made while they were small (a worker starting on an empty queue) could scan them
    /// whole once they are large, as the claim did (see ``claim(leases:limit:jobLease:on:)``).
    func completeStatement(_ completions: [JobResult], window: Int64, sql: String = completeSQL) -> PostgresStatement {
        let columns = CompletionColumns(completions)
        return PostgresStatement(
            sql,
            [
                workerID.rawValue, columns.shards, columns.alertIDs, columns.attempts, PostgresTextArray(columns.decisions),
                PostgresTextArray(columns.confidences), PostgresTextArray(columns.rationales), PostgresTextArray(columns.decidedBy),
                PostgresTextArray(columns.guardrails), PostgresTextArray(columns.flags), PostgresTextArray(columns.evidence),
                PostgresTextArray(columns.recommendedActions), PostgresTextArray(columns.triage), window,
            ], prepared: true)
    }

    /// Reads the rows ``completeSQL`` returns into `report`.
    static func collectCompletions(_ result: PostgresResult, into report: inout FinishReport) throws {
        for row in result {
            let key = ClaimedJob.Key(shard: try row.decode(Int.self, at: 0), alertID: try row.decode(UUID.self, at: 1))
            report.applied.insert(key)
            if let written = try row.decode(String?.self, at: 2) {
                if let decision = Decision(rawValue: written) { report.writtenDecisions[key] = decision }
            } else {
                report.duplicateVerdicts.insert(key)
            }
        }
    }

    // MARK: Hand back

    /// $1 me, $2 shards, $3 alert ids, $4 attempts. Makes each job this worker still runs at that attempt ready
    /// at once, without counting the attempt, and wakes the shard's workers.
    static let handBackSQL = """
        WITH d AS (
            SELECT * FROM unnest($2::int[], $3::uuid[], $4::int[]) AS d(shard, alert_id, attempt)
        ), returned AS (
            UPDATE triage_job j
            SET state = 'ready', run_at = now(), attempt = j.attempt - 1, owner = NULL, lease_epoch = NULL,
                lease_expires_at = NULL, last_error = 'interrupted: handed back at shutdown'
            FROM d
            WHERE j.shard = d.shard AND j.alert_id = d.alert_id AND j.state = 'running' AND j.owner = $1 AND j.attempt = d.attempt
            RETURNING j.shard
        ), \(QueueCounter.incrementCTE("counted", counter: QueueCounter.handedBack, countingRowsOf: "returned"))
        SELECT count(*), \(notifyShards(of: "returned"))
        FROM returned
        """

    /// The LISTEN/NOTIFY channel on which enqueuers announce ready jobs; the payload is the shard number.
    public static let channel = "vigil_jobs"

    /// A scalar subquery that sends one notification on ``channel`` per distinct `shard` of `relation` (a CTE of the
    /// same statement; delivered at commit) and is their count.
    static func notifyShards(of relation: String) -> String {
        "(SELECT count(pg_notify('\(channel)', shard::text)) FROM (SELECT DISTINCT shard FROM \(relation)) s)"
    }

    /// Hands unfinished jobs back (state ready, due now, attempt not counted): shutdown's second phase.
    ///
    /// - Returns: how many jobs were handed back (those another worker took meanwhile are not).
    @discardableResult
    public func handBack(_ jobs: [(key: ClaimedJob.Key, attempt: Int)]) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        let result = try await pool.query(
            Self.handBackSQL, [workerID.rawValue, jobs.map(\.key.shard), jobs.map(\.key.alertID), jobs.map(\.attempt)])
        return try result[0].decode(Int.self, at: 0)
    }
}

/// The result of one attempt, ready to be written by ``JobStore/finish(_:)``.
public struct JobResult: Sendable {
    public var key: ClaimedJob.Key
    /// The attempt this result belongs to (the fence).
    public var attempt: Int
    public var disposition: JobDisposition
    /// The verdict to write when `disposition` is `.complete`; ignored otherwise.
    public var verdict: VerdictRecord
    /// The MONITOR watch-list subjects of the job's alert (see ``JobStore/recurrenceSubjects(principal:resource:)``)
    /// when known; nil: ``JobStore/finish(_:)`` reads them from `alert` (one more round trip).
    public var subjects: [String]?

    public init(key: ClaimedJob.Key, attempt: Int, disposition: JobDisposition, verdict: VerdictRecord) {
        self.key = key
        self.attempt = attempt
        self.disposition = disposition
        self.verdict = verdict
    }

    /// The result of `job`'s attempt, carrying its alert's watch-list subjects (read when it was claimed).
    public init(job: ClaimedJob, disposition: JobDisposition, verdict: VerdictRecord) {
        self.init(key: job.key, attempt: job.attempt, disposition: disposition, verdict: verdict)
        subjects = JobStore.recurrenceSubjects(principal: job.alert.principal, resource: job.alert.resource)
    }
}

/// What ``JobStore/finish(_:)`` did.
public struct FinishReport: Sendable, Hashable {
    /// Results that took effect (fence passed).
    public var applied: Set<ClaimedJob.Key> = []
    /// Completions that removed their job but found a verdict already written.
    public var duplicateVerdicts: Set<ClaimedJob.Key> = []
    /// The decision each verdict written by this call was stored with (ESCALATE for a MONITOR recurrence,
    /// whatever the step decided).
    public var writtenDecisions: [ClaimedJob.Key: Decision] = [:]

    public init() {}
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
