import Foundation
import VigilCore
import VigilPostgres

/// A summary of CloudTrail events that the loader keeps exact: it adds the events it inserts, in the transaction that
/// stores them (``LoadTarget/summaries``). Each is partitioned by day on its `hour` like `cloudtrail_event`, and
/// `vigil prune` drops the same days (``PartitionPruner/tables``).
struct EventSummary: Sendable {
    /// The summary table.
    var table: String
    /// The columns of `cloudtrail_event` the summary is made of: a source relation of ``upsert`` has them.
    var sourceColumns: [String]
    /// The statement that adds the events of a relation (its name, or a CTE's) to the summary, in key order, so that
    /// concurrent loaders lock summary rows in one order and cannot deadlock each other.
    var upsert: @Sendable (_ source: String) -> String
    /// Adds loaded rows (``LoadTarget/cloudTrail`` rows just inserted, in the given column order) to the summary inside
    /// the loader's transaction. The summary's day partitions for the rows must exist (the loader makes them with the
    /// table's, ``EnrichmentLoader/ensureDayPartitions(of:rows:)``).
    var add: @Sendable (_ rows: [[String?]], _ columns: [String], _ connection: PostgresConnection) async throws -> Void

    static let principalActivity = EventSummary(
        table: PrincipalActivity.table, sourceColumns: PrincipalActivity.sourceColumns, upsert: PrincipalActivity.upsert(from:),
        add: { try await PrincipalActivity.add($0, columns: $1, on: $2) })

    static let addressActivity = EventSummary(
        table: AddressActivity.table, sourceColumns: AddressActivity.sourceColumns, upsert: AddressActivity.upsert(from:),
        add: { try await AddressActivity.add($0, columns: $1, on: $2) })

    /// A group's counts: events, failed calls, and the first and last event time (with the text it had, sent as is so
    /// that the summary holds exactly the times PostgreSQL stores for the events).
    struct Tally {
        var events: Int64 = 0
        var errors: Int64 = 0
        var first: (date: Date, text: String)
        var last: (date: Date, text: String)
    }

    /// Groups `rows` by `key` (given a row and the start of its event's UTC hour in seconds since 1970; nil leaves
    /// the row out), counting events, failures (a non-nil `error` column) and the first and last time (`time`
    /// column). Rows whose time does not read as RFC 3339 are left out (the record parser never makes one).
    static func tally<Key: Hashable>(
        _ rows: [[String?]], time: Int, error: Int?, key: ([String?], _ hour: Int64) -> Key?
    ) -> [Key: Tally] {
        var groups: [Key: Tally] = [:]
        for row in rows {
            guard let text = row[time], let date = RFC3339.parse(text) else { continue }
            // PostgreSQL keeps microseconds (rounding to nearest): truncate the time it will store, not the text's.
            let microseconds = (date.timeIntervalSince1970 * 1e6).rounded(.toNearestOrEven)
            guard let key = key(row, Int64((microseconds / 3.6e9).rounded(.down)) * 3600) else { continue }
            let failed: Int64 = error.map { row[$0] == nil ? 0 : 1 } ?? 0
            if var tally = groups[key] {
                tally.events += 1
                tally.errors += failed
                if date < tally.first.date { tally.first = (date, text) }
                if date > tally.last.date { tally.last = (date, text) }
                groups[key] = tally
            } else {
                groups[key] = Tally(events: 1, errors: failed, first: (date, text), last: (date, text))
            }
        }
        return groups
    }
}
