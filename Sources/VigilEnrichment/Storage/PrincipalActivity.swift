import Foundation
import VigilPostgres

/// The hourly per-principal summary of CloudTrail events (`cloudtrail_principal_activity`,
/// `sql/migrations/0007_principal_activity.sql`): how the loader keeps it and how the tools read a window from it.
///
/// Contract: for every principal and UTC hour, the summary rows add up exactly the `cloudtrail_event` rows of that
/// principal and hour, grouped by event source, event name, source address (`''` when absent) and the first 200
/// characters of the user agent (`''` when absent). The loader adds the events it inserts in the same transaction;
/// `vigil prune` drops the same days of both tables.
enum PrincipalActivity {
    static let table = "cloudtrail_principal_activity"

    /// The columns a source relation of ``upsert(from:)`` has, in this order.
    static let sourceColumns = ["principal_arn", "event_time", "event_source", "event_name", "source_address", "user_agent", "error_code"]

    /// Adds the events of `source` (a relation with ``sourceColumns``) to the summary. Rows are upserted in key order,
    /// so concurrent loaders lock summary rows in one order and cannot deadlock each other.
    static func upsert(from source: String) -> String {
        """
        INSERT INTO \(table) AS a (principal_arn, hour, event_source, event_name, source_address, user_agent, events, errors, first_seen, last_seen)
        SELECT principal_arn, date_trunc('hour', event_time, 'UTC'), event_source, event_name, coalesce(source_address, ''),
               coalesce(left(user_agent, 200), ''), count(*), count(*) FILTER (WHERE error_code IS NOT NULL), min(event_time), max(event_time)
        FROM \(source) WHERE principal_arn IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (principal_arn, hour, event_source, event_name, source_address, user_agent) DO UPDATE
        SET events = a.events + EXCLUDED.events, errors = a.errors + EXCLUDED.errors,
            first_seen = least(a.first_seen, EXCLUDED.first_seen), last_seen = greatest(a.last_seen, EXCLUDED.last_seen)
        """
    }

    /// Adds `rows` (``LoadTarget/cloudTrail`` rows just inserted, in its column order) to the summary, inside the
    /// loader's transaction.
    static func add(_ rows: [[String?]], columns: [String], on connection: PostgresConnection) async throws {
        let indexes = sourceColumns.map { columns.firstIndex(of: $0)! }
        let principal = indexes[0]
        let summarised = rows.filter { $0[principal] != nil }
        guard !summarised.isEmpty else { return }
        let stage = "vigil_stage_principal_activity"
        try await connection.executeScript(
            """
            CREATE TEMP TABLE \(stage) (principal_arn text, event_time timestamptz, event_source text, event_name text,
                source_address text, user_agent text, error_code text) ON COMMIT DROP
            """
        )
        try await connection.copyFrom("COPY \(stage) FROM STDIN", rows: summarised) { row, writer in
            for index in indexes { writer.field(row[index]) }
        }
        try await ensurePartitions(from: stage, on: connection)
        try await connection.query(upsert(from: stage))
    }

    /// Creates the day partitions of the summary for the events in `source`.
    static func ensurePartitions(from source: String, on connection: PostgresConnection) async throws {
        try await connection.query(
            "SELECT vigil_ensure_day_partitions($1, array_agg(DISTINCT (event_time AT TIME ZONE 'UTC')::date)) FROM \(source)",
            [table]
        )
    }

    /// A principal's events in the window (`$2`, `$3`] (`$1`: the principal ARN), one row per summary row or raw
    /// event, with the columns event_source, event_name, source_address, user_agent, events, errors, first_seen,
    /// last_seen (the last four as the summary has them). Whole hours inside the window come from the summary, the
    /// partial hours at its ends from `cloudtrail_event`; `$4`/`$5` are ``wholeHours(since:until:)``.
    static let windowParts = """
        SELECT event_source, event_name, source_address, user_agent, events, errors, first_seen, last_seen
        FROM cloudtrail_principal_activity WHERE principal_arn = $1 AND hour >= $4 AND hour < $5
        UNION ALL
        SELECT event_source, event_name, coalesce(source_address, ''), coalesce(left(user_agent, 200), ''), 1,
               (error_code IS NOT NULL)::int, event_time, event_time
        FROM cloudtrail_event WHERE principal_arn = $1 AND event_time > $2 AND event_time < $4 AND event_time <= $3
        UNION ALL
        SELECT event_source, event_name, coalesce(source_address, ''), coalesce(left(user_agent, 200), ''), 1,
               (error_code IS NOT NULL)::int, event_time, event_time
        FROM cloudtrail_event WHERE principal_arn = $1 AND event_time >= $5 AND event_time <= $3 AND event_time > $2
        """

    /// The whole UTC hours inside (`since`, `until`]: from the first hour boundary after `since` to the last one at or
    /// before `until` (an empty range when the window holds no whole hour).
    static func wholeHours(since: Date, until: Date) -> (from: Date, to: Date) {
        let from = (since.timeIntervalSince1970 / 3600).rounded(.down) * 3600 + 3600
        let to = (until.timeIntervalSince1970 / 3600).rounded(.down) * 3600
        return (Date(timeIntervalSince1970: from), Date(timeIntervalSince1970: max(from, to)))
    }
}
