import Foundation
import VigilCore
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
        \(insertInto)
        SELECT principal_arn, date_trunc('hour', event_time, 'UTC'), event_source, event_name, coalesce(source_address, ''),
               coalesce(left(user_agent, 200), ''), count(*), count(*) FILTER (WHERE error_code IS NOT NULL), min(event_time), max(event_time)
        FROM \(source) WHERE principal_arn IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
        \(onConflict)
        """
    }

    /// The INSERT of summary rows, before its SELECT.
    private static let insertInto = """
        INSERT INTO \(table) AS a
            (principal_arn, hour, event_source, event_name, source_address, user_agent, events, errors, first_seen, last_seen)
        """

    /// Adds an inserted summary row to the one stored with its key.
    private static let onConflict = """
        ON CONFLICT (principal_arn, hour, event_source, event_name, source_address, user_agent) DO UPDATE
        SET events = a.events + EXCLUDED.events, errors = a.errors + EXCLUDED.errors,
            first_seen = least(a.first_seen, EXCLUDED.first_seen), last_seen = greatest(a.last_seen, EXCLUDED.last_seen)
        """

    /// Adds `rows` (``LoadTarget/cloudTrail`` rows just inserted, in its column order) to the summary, inside the
    /// loader's transaction. The rows are grouped here (``tally(_:columns:)``) and only the groups are sent, as
    /// arrays, to one upsert in key order; the first and last times are sent as the events wrote them, so the summary
    /// holds exactly what ``upsert(from:)`` would make of the same events. The summary's day partitions for the rows
    /// must exist (``EnrichmentLoader`` makes them with the events' partitions).
    static func add(_ rows: [[String?]], columns: [String], on connection: PostgresConnection) async throws {
        let groups = tally(rows, columns: columns)
        guard !groups.isEmpty else { return }
        var principals: [String] = [], hours: [Int64] = [], sources: [String] = [], names: [String] = []
        var addresses: [String] = [], agents: [String] = [], events: [Int64] = [], errors: [Int64] = []
        var firsts: [String] = [], lasts: [String] = []
        for (key, tally) in groups {
            principals.append(key.principal)
            hours.append(key.hour)
            sources.append(key.source)
            names.append(key.name)
            addresses.append(key.address)
            agents.append(key.agent)
            events.append(tally.events)
            errors.append(tally.errors)
            firsts.append(tally.first.text)
            lasts.append(tally.last.text)
        }
        try await connection.query(
            """
            \(insertInto)
            SELECT p, to_timestamp(h), s, n, ad, ua, e, er, f, l
            FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[],
                        $9::timestamptz[], $10::timestamptz[]) AS g(p, h, s, n, ad, ua, e, er, f, l)
            ORDER BY 1, 2, 3, 4, 5, 6
            \(onConflict)
            """,
            [principals, hours, sources, names, addresses, agents, events, errors, firsts, lasts]
        )
    }

    /// A summary row's key: principal, UTC hour (seconds since 1970), event source and name, source address (`''`
    /// when absent) and the first 200 characters of the user agent (`''` when absent), as ``upsert(from:)`` groups.
    struct GroupKey: Hashable {
        var principal: String
        var hour: Int64
        var source: String
        var name: String
        var address: String
        var agent: String
    }

    /// The summary rows of `rows` (``LoadTarget/cloudTrail`` rows in `columns` order): events without a principal are
    /// left out (``EventSummary/tally(_:time:error:key:)``).
    static func tally(_ rows: [[String?]], columns: [String]) -> [GroupKey: EventSummary.Tally] {
        let at = sourceColumns.map { columns.firstIndex(of: $0)! }
        return EventSummary.tally(rows, time: at[1], error: at[6]) { row, hour in
            guard let principal = row[at[0]], let source = row[at[2]], let name = row[at[3]] else { return nil }
            return GroupKey(
                principal: principal, hour: hour, source: source, name: name, address: row[at[4]] ?? "",
                agent: row[at[5]].map { String(String.UnicodeScalarView($0.unicodeScalars.prefix(200))) } ?? "")
        }
    }

    /// A principal's events in the window (`$2`, `$3`] (`$1`: the principal ARN), one row per summary row or raw
    /// event, with the columns event_source, event_name, source_address, user_agent, events, errors, first_seen,
    /// last_seen (the last four as the summary has them); `$1`…`$7` are ``windowParameters(principal:since:until:)``.
    ///
    /// Whole hours inside the window come from the summary. In the two edge hours (`$6`..<`$4`, holding the window's
    /// start, and `$5`..<`$7`, holding its end), a summary row whose events all fall inside the window
    /// (`first_seen > $2` and `last_seen <= $3`) is taken whole, one whose events all fall outside is left out, and
    /// only the rows cut by an edge are read from `cloudtrail_event`: the raw events of their groups inside the
    /// window. So the answer is exactly that of the raw events, and when "now" is after the stored events (the usual
    /// case: every row of the current hour ends before it) no raw event is read at all. Every bound is a parameter,
    /// so the planner prunes the day partitions itself (an expression such as `$4 - interval '1 hour'` would leave
    /// every partition to plan).
    static let windowParts = """
        WITH edge AS MATERIALIZED (
            SELECT hour, event_source, event_name, source_address, user_agent, events, errors, first_seen, last_seen,
                   first_seen > $2 AND last_seen <= $3 AS inside
            FROM cloudtrail_principal_activity
            WHERE principal_arn = $1 AND (hour = $6 OR hour = $5) AND last_seen > $2 AND first_seen <= $3
        ), cut AS MATERIALIZED (SELECT * FROM edge WHERE NOT inside)
        SELECT event_source, event_name, source_address, user_agent, events, errors, first_seen, last_seen
        FROM cloudtrail_principal_activity WHERE principal_arn = $1 AND hour >= $4 AND hour < $5
        UNION ALL
        SELECT event_source, event_name, source_address, user_agent, events, errors, first_seen, last_seen FROM edge WHERE inside
        UNION ALL
        SELECT e.event_source, e.event_name, coalesce(e.source_address, ''), coalesce(left(e.user_agent, 200), ''), 1,
               (e.error_code IS NOT NULL)::int, e.event_time, e.event_time
        FROM cloudtrail_event e
        WHERE e.principal_arn = $1 AND e.event_time > $2 AND e.event_time <= $3
          AND ((e.event_time >= $6 AND e.event_time < $4) OR (e.event_time >= $5 AND e.event_time < $7))
          AND e.event_time >= (SELECT min(first_seen) FROM cut) AND e.event_time <= (SELECT max(last_seen) FROM cut)
          AND EXISTS (
              SELECT 1 FROM cut c
              WHERE c.hour = date_trunc('hour', e.event_time, 'UTC') AND c.event_source = e.event_source AND c.event_name = e.event_name
                AND c.source_address = coalesce(e.source_address, '') AND c.user_agent = coalesce(left(e.user_agent, 200), '')
          )
        """

    /// The parameters of ``windowParts`` for a principal and the window (`since`, `until`]: the principal, `since`,
    /// `until`, the whole hours inside the window (``wholeHours(since:until:)``), the start of the hour holding
    /// `since` and the end of the last edge hour.
    static func windowParameters(principal: String, since: Date, until: Date) -> [any PostgresEncodable] {
        let hours = wholeHours(since: since, until: until)
        return [principal, since, until, hours.from, hours.to, hours.from.addingTimeInterval(-3600), hours.to.addingTimeInterval(3600)]
    }

    /// The whole UTC hours inside (`since`, `until`]: from the first hour boundary after `since` to the last one at or
    /// before `until` (an empty range when the window holds no whole hour).
    static func wholeHours(since: Date, until: Date) -> (from: Date, to: Date) {
        let from = (since.timeIntervalSince1970 / 3600).rounded(.down) * 3600 + 3600
        let to = (until.timeIntervalSince1970 / 3600).rounded(.down) * 3600
        return (Date(timeIntervalSince1970: from), Date(timeIntervalSince1970: max(from, to)))
    }
}
