import Foundation
import VigilCore
import VigilPostgres

/// Completions with the MONITOR watch list: serialised per subject so that two alerts about the same principal or
/// resource, finished at the same time by different workers, cannot both miss each other.
extension JobStore {
    /// The guardrail (and flag) a MONITOR recurrence adds to the verdict it escalates.
    public static let recurrenceGuardrail = "monitor_recurrence"
    /// The prefix of the flags naming the earlier alerts of a recurrence: `recurrence_of:<alert id>`.
    public static let recurrenceFlagPrefix = "recurrence_of:"

    /// $1 shards, $2 alert ids. Returns each alert's subjects and takes a transaction-scoped advisory lock per
    /// subject, in hash order (so two transactions never wait on each other in a cycle).
    static let lockSubjectsSQL = """
        WITH subjects AS (
            SELECT t.shard, t.alert_id, s.subject
            FROM unnest($1::int[], $2::uuid[]) AS t(shard, alert_id)
            JOIN alert a ON a.shard = t.shard AND a.id = t.alert_id
            CROSS JOIN LATERAL (VALUES ('principal:' || nullif(a.principal, '')), ('resource:' || nullif(a.resource, ''))) s(subject)
            WHERE s.subject IS NOT NULL
        ), locked AS (
            SELECT count(pg_advisory_xact_lock(k)) AS n
            FROM (SELECT DISTINCT hashtextextended(subject, 8) AS k FROM subjects ORDER BY k) keys
        )
        SELECT s.shard, s.alert_id, s.subject FROM subjects s, locked
        """

    /// Writes completions (JSON rows as ``completeSQL`` reads them).
    ///
    /// With the watch list off, one statement. With it on, one transaction: lock the batch's subjects, then write
    /// the completions in waves in which no subject repeats, each wave a statement of its own, so each sees the
    /// watch rows that committed before the locks were granted and those the earlier waves wrote.
    func complete(_ rows: [JSONValue], into report: inout FinishReport) async throws {
        let window = monitorRecurrenceWindow.milliseconds
        guard window > 0 else {
            let result = try await pool.query(Self.completeSQL, [workerID.rawValue, PostgresJSON(JSONValue.array(rows).jsonText), window])
            try Self.collectCompletions(result, into: &report)
            return
        }
        let keys = rows.map(Self.key(of:))
        report = try await pool.withTransaction { connection in
            var report = report
            let locked = try await connection.query(Self.lockSubjectsSQL, [keys.map(\.shard), keys.map(\.alertID)])
            var subjects: [ClaimedJob.Key: [String]] = [:]
            for row in locked {
                let key = ClaimedJob.Key(shard: try row.decode(Int.self, at: 0), alertID: try row.decode(UUID.self, at: 1))
                subjects[key, default: []].append(try row.decode(String.self, at: 2))
            }
            for wave in Self.waves(keys.indices.map { (rows[$0], subjects[keys[$0]] ?? []) }) {
                let result = try await connection.query(
                    Self.completeSQL, [workerID.rawValue, PostgresJSON(JSONValue.array(wave).jsonText), window])
                try Self.collectCompletions(result, into: &report)
            }
            return report
        }
    }

    /// Splits items into consecutive waves, in order, such that no subject appears twice in one wave.
    static func waves<Item>(_ items: [(Item, [String])]) -> [[Item]] {
        var waves: [[Item]] = []
        var seen: [Set<String>] = []
        for (item, subjects) in items {
            // The item goes after the last wave holding any of its subjects, so their order is kept.
            var index = 0
            for (position, wave) in seen.enumerated().reversed() where !wave.isDisjoint(with: subjects) {
                index = position + 1
                break
            }
            if index == waves.count {
                waves.append([])
                seen.append([])
            }
            waves[index].append(item)
            seen[index].formUnion(subjects)
        }
        return waves
    }

    private static func key(of row: JSONValue) -> ClaimedJob.Key {
        guard case .object(let object) = row, case .int(let shard) = object["shard"], case .string(let id) = object["alert_id"],
            let uuid = UUID(uuidString: id)
        else { preconditionFailure("completion rows are built by finish(_:)") }
        return ClaimedJob.Key(shard: Int(shard), alertID: uuid)
    }
}

extension JobStore {
    /// $1 window milliseconds. Watch-list rows that can no longer matter: escalated ones, and open ones whose alert
    /// occurred more than two windows ago (a late alert may still arrive within one window of them; two leave margin).
    static let pruneWatchListSQL = """
        DELETE FROM monitor_watch
        WHERE occurred_at < now() - 2 * $1 * interval '1 millisecond'
           OR (escalated_at IS NOT NULL AND escalated_at < now() - $1 * interval '1 millisecond')
        """

    /// Removes watch-list rows past their use (run by the maintenance leader).
    ///
    /// - Returns: how many rows were removed.
    @discardableResult
    public static func pruneWatchList(on connection: PostgresConnection, window: Duration) async throws -> Int {
        guard window > .zero else { return 0 }
        return try await connection.query(pruneWatchListSQL, [window.milliseconds]).affectedRows
    }
}
