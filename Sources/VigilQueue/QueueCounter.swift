import VigilPostgres

/// The names of the cluster-wide counters in `queue_counter`, kept by workers and the maintenance loop.
///
/// Counters only grow; read them with ``read(_:from:)``. Each increment happens in the same statement as
/// the change it counts, so a counter never runs ahead of or behind the table it describes.
public enum QueueCounter {
    /// Completions (and retries, dead-letters) discarded because the worker no longer held the job or its
    /// shard lease at the epoch it claimed under.
    public static let staleCompletions = "stale_completions"
    /// Completions whose alert already had a verdict (the job was removed, the verdict kept).
    public static let duplicateVerdicts = "duplicate_verdicts"
    /// Running jobs whose job lease expired, returned to ready by the maintenance loop.
    public static let rescuedJobs = "rescued_jobs"
    /// `worker` rows removed because their heartbeat stopped.
    public static let reapedWorkers = "reaped_workers"
    /// Jobs handed back unfinished at shutdown.
    public static let handedBack = "handed_back_jobs"

    /// SQL for a CTE named `name` that adds the row count of the CTE `source` to counter `counter`, when not zero.
    static func incrementCTE(_ name: String, counter: String, countingRowsOf source: String) -> String {
        """
        \(name) AS (
            INSERT INTO queue_counter (name, value)
            SELECT '\(counter)', count(*) FROM \(source) HAVING count(*) > 0
            ON CONFLICT (name) DO UPDATE SET value = queue_counter.value + EXCLUDED.value
        )
        """
    }

    static let readSQL = "SELECT coalesce((SELECT value FROM queue_counter WHERE name = $1), 0)"

    /// The counter's value, 0 when it was never incremented.
    public static func read(_ name: String, from pool: PostgresPool) async throws -> Int64 {
        try await pool.query(readSQL, [name])[0].decode(Int64.self, at: 0)
    }
}
