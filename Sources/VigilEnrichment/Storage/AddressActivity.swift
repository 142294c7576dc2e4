import Foundation
import VigilCore
import VigilPostgres

/// The hourly per-address summary of CloudTrail events (`cloudtrail_address_activity`,
/// `sql/migrations/0015_address_activity.sql`): how the loader keeps it and how `lookup_ip_reputation` reads it.
///
/// Contract: for every source address and UTC hour, the summary rows add up exactly the `cloudtrail_event` rows with
/// that `source_ip` and hour, grouped by principal ARN (`''` when absent). Events without a `source_ip` are left out.
/// The loader adds the events it inserts in the same transaction; `vigil prune` drops the same days of both tables.
public enum AddressActivity {
    static let table = "cloudtrail_address_activity"

    /// The columns a source relation of ``upsert(from:)`` has, in this order.
    static let sourceColumns = ["source_ip", "event_time", "principal_arn"]

    /// Adds the events of `source` (a relation with ``sourceColumns``) to the summary, in key order.
    static func upsert(from source: String) -> String {
        """
        \(insertInto)
        SELECT source_ip, date_trunc('hour', event_time, 'UTC'), coalesce(principal_arn, ''), count(*), min(event_time), max(event_time)
        FROM \(source) WHERE source_ip IS NOT NULL
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        \(onConflict)
        """
    }

    private static let insertInto = "INSERT INTO \(table) AS a (source_ip, hour, principal_arn, events, first_seen, last_seen)"

    private static let onConflict = """
        ON CONFLICT (source_ip, hour, principal_arn) DO UPDATE
        SET events = a.events + EXCLUDED.events,
            first_seen = least(a.first_seen, EXCLUDED.first_seen), last_seen = greatest(a.last_seen, EXCLUDED.last_seen)
        """

    /// Adds `rows` (``LoadTarget/cloudTrail`` rows just inserted, in `columns` order) to the summary inside the loader's
    /// transaction: grouped here by the address's text, hour and principal, then regrouped by the `inet` value in the
    /// statement (two texts of one address would otherwise be two rows of one key in one upsert), first and last
    /// times sent as the events wrote them.
    static func add(_ rows: [[String?]], columns: [String], on connection: PostgresConnection) async throws {
        let at = sourceColumns.map { columns.firstIndex(of: $0)! }
        let groups = EventSummary.tally(rows, time: at[1], error: nil) { row, hour in
            row[at[0]].map { GroupKey(address: $0, hour: hour, principal: row[at[2]] ?? "") }
        }
        guard !groups.isEmpty else { return }
        var addresses: [String] = [], hours: [Int64] = [], principals: [String] = []
        var events: [Int64] = [], firsts: [String] = [], lasts: [String] = []
        for (key, tally) in groups {
            addresses.append(key.address)
            hours.append(key.hour)
            principals.append(key.principal)
            events.append(tally.events)
            firsts.append(tally.first.text)
            lasts.append(tally.last.text)
        }
        try await connection.query(
            """
            \(insertInto)
            SELECT ip::inet, to_timestamp(h), p, sum(e), min(f), max(l)
            FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::timestamptz[], $6::timestamptz[]) AS g(ip, h, p, e, f, l)
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            \(onConflict)
            """,
            [addresses, hours, principals, events, firsts, lasts]
        )
    }

    /// A group of loaded rows: the address as the row has it, the UTC hour (seconds since 1970) and the principal.
    struct GroupKey: Hashable {
        var address: String
        var hour: Int64
        var principal: String
    }

    /// The principals whose events came from any of the addresses `$1` (an `inet[]`) up to `$2` ("now"), most events
    /// first, at most `limit`: `principal` (`''` for events without one), `n`, `first_seen`, `last_seen`, exactly as
    /// an aggregation of `cloudtrail_event` would give them. `$3` is the start of the UTC hour holding `$2`.
    ///
    /// The hours before `$3` come from the summary. In the hour `$3`, a summary row whose events are all at or before
    /// `$2` is taken whole, one whose events are all after it is left out, and only the principals of rows cut by
    /// `$2` are read from `cloudtrail_event`, in that hour alone.
    public static func principalsSeen(limit: Int) -> String {
        """
        WITH edge AS MATERIALIZED (
            SELECT principal_arn, events, first_seen, last_seen, last_seen <= $2 AS inside
            FROM \(table) WHERE source_ip = ANY ($1::inet[]) AND hour = $3 AND first_seen <= $2
        ), parts AS (
            SELECT principal_arn, events, first_seen, last_seen FROM \(table) WHERE source_ip = ANY ($1::inet[]) AND hour < $3
            UNION ALL
            SELECT principal_arn, events, first_seen, last_seen FROM edge WHERE inside
            UNION ALL
            SELECT coalesce(e.principal_arn, ''), 1, e.event_time, e.event_time
            FROM cloudtrail_event e
            WHERE e.source_ip = ANY ($1::inet[]) AND e.event_time >= $3 AND e.event_time <= $2
              AND coalesce(e.principal_arn, '') IN (SELECT principal_arn FROM edge WHERE NOT inside)
        )
        SELECT principal_arn AS principal, sum(events)::int8 AS n, min(first_seen) AS first_seen, max(last_seen) AS last_seen
        FROM parts GROUP BY 1 ORDER BY n DESC, 1 LIMIT \(limit)
        """
    }

    /// The parameters of ``principalsSeen(limit:)``: the addresses (an array literal, read as `inet[]`), "now" and the
    /// start of its UTC hour.
    public static func principalsSeenParameters(addresses: [String], now: Date) -> [any PostgresEncodable] {
        let hour = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
        return [PostgresArrayLiteral.text(addresses), now, hour]
    }
}
