import VigilPostgres

/// The queue's housekeeping, run by one elected process at a time: returns jobs whose job lease expired to
/// ready, and removes `worker` rows whose heartbeat stopped. Their shard leases are left alone: the lease
/// planner treats a lease whose owner is not live as free.
///
/// Election: ``tryLead(on:)`` takes a session-level advisory lock on a connection the caller keeps open for as
/// long as it leads; the lock ends with the connection (a crashed leader's lock is released by the server).
public struct QueueMaintenance: Sendable {
    /// The advisory-lock class of the maintenance leader ("vigi" in ASCII); the lock's second key is a hash of
    /// the current schema, so clusters in different schemas of one database elect their own leaders.
    public static let leaderLockKey: Int32 = 0x7669_6769

    static let tryLockSQL = "SELECT pg_try_advisory_lock($1::int, hashtext(current_schema()))"

    /// Tries to become the leader on `connection` (kept open while leading). Returns whether it leads.
    public static func tryLead(on connection: PostgresConnection) async throws -> Bool {
        try await connection.query(tryLockSQL, [leaderLockKey])[0].decode(Bool.self, at: 0)
    }

    /// $1 grace in milliseconds. Running jobs whose job lease ended more than the grace ago become ready now,
    /// their shards are notified, and the count goes to `rescued_jobs`.
    static let rescueSQL = """
        WITH rescued AS (
            UPDATE triage_job SET state = 'ready', run_at = now(), owner = NULL, lease_epoch = NULL, lease_expires_at = NULL,
                last_error = 'interrupted: job lease expired'
            WHERE state = 'running' AND lease_expires_at < now() - $1 * interval '1 millisecond'
            RETURNING shard
        ), \(QueueCounter.incrementCTE("counted", counter: QueueCounter.rescuedJobs, countingRowsOf: "rescued"))
        SELECT count(*), \(JobStore.notifyShards(of: "rescued"))
        FROM rescued
        """

    /// $1 milliseconds since the last heartbeat after which a worker row is removed; counted in `reaped_workers`.
    static let reapSQL = """
        WITH reaped AS (
            DELETE FROM worker WHERE heartbeat_at < now() - $1 * interval '1 millisecond' RETURNING id
        ), \(QueueCounter.incrementCTE("counted", counter: QueueCounter.reapedWorkers, countingRowsOf: "reaped"))
        SELECT count(*) FROM reaped
        """

    /// Dead row versions in `triage_job` (deleted or superseded by claims) since its last vacuum, as the
    /// statistics collector reports them.
    static let deadRowsSQL = """
        SELECT coalesce((SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'triage_job'::regclass), 0)
        """

    /// What one round did.
    public struct Report: Sendable, Hashable {
        public var rescuedJobs: Int
        public var reapedWorkers: Int
        /// Whether `triage_job` was vacuumed.
        public var vacuumed: Bool

        public init(rescuedJobs: Int, reapedWorkers: Int, vacuumed: Bool = false) {
            self.rescuedJobs = rescuedJobs
            self.reapedWorkers = reapedWorkers
            self.vacuumed = vacuumed
        }
    }

    /// One round on `connection` (the leader's).
    ///
    /// - Parameters:
    ///   - rescueGrace: how long after a job lease ended it is rescued (claims on owned shards take expired
    ///     jobs at once; this catches shards nobody owns).
    ///   - reapAfter: how long after its last heartbeat a worker row is removed.
    ///   - vacuumAfterDeadRows: vacuum `triage_job` when it holds at least this many dead row versions (nil:
    ///     never). Autovacuum visits a table at most once per `autovacuum_naptime` (a minute by default), while
    ///     a busy queue leaves thousands of dead rows a second; vacuuming from here keeps the hot table small.
    ///     Needs the table's owner (or MAINTAIN); a refusal is thrown like any other error.
    public static func runOnce(
        on connection: PostgresConnection, rescueGrace: Duration, reapAfter: Duration, vacuumAfterDeadRows: Int? = nil
    ) async throws -> Report {
        let rescued = try await connection.query(rescueSQL, [rescueGrace.milliseconds])[0].decode(Int.self, at: 0)
        let reaped = try await connection.query(reapSQL, [reapAfter.milliseconds])[0].decode(Int.self, at: 0)
        var vacuumed = false
        if let vacuumAfterDeadRows, try await connection.query(deadRowsSQL)[0].decode(Int.self, at: 0) >= vacuumAfterDeadRows {
            try await connection.executeScript("VACUUM triage_job")
            vacuumed = true
        }
        return Report(rescuedJobs: rescued, reapedWorkers: reaped, vacuumed: vacuumed)
    }
}
