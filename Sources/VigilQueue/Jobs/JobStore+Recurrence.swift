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

    /// The watch-list subjects of an alert about `principal` and `resource` (each when not empty), as
    /// ``selectSubjectsSQL`` and ``completeSQL`` spell them.
    public static func recurrenceSubjects(principal: String?, resource: String?) -> [String] {
        var subjects: [String] = []
        if let principal, !principal.isEmpty { subjects.append("principal:" + principal) }
        if let resource, !resource.isEmpty { subjects.append("resource:" + resource) }
        return subjects
    }

    /// $1 shards, $2 alert ids. Each alert's subjects, for results that do not carry them.
    static let selectSubjectsSQL = """
        SELECT t.shard, t.alert_id, s.subject
        FROM unnest($1::int[], $2::uuid[]) AS t(shard, alert_id)
        JOIN alert a ON a.shard = t.shard AND a.id = t.alert_id
        CROSS JOIN LATERAL (VALUES ('principal:' || nullif(a.principal, '')), ('resource:' || nullif(a.resource, ''))) s(subject)
        WHERE s.subject IS NOT NULL
        """

    /// $1 subjects. Takes a transaction-scoped advisory lock per subject, in hash order (so two transactions never
    /// wait on each other in a cycle).
    static let lockSubjectsSQL = """
        SELECT count(pg_advisory_xact_lock(k))
        FROM (SELECT DISTINCT hashtextextended(subject, 8) AS k FROM unnest($1::text[]) AS s(subject) ORDER BY k) keys
        """

    /// Writes completions; a result's `subjects` are its watch-list subjects, nil when the caller does not know them
    /// (then they are read from `alert` first).
    ///
    /// With the watch list off, one statement. With it on, one transaction sent as one pipeline (one round trip):
    /// `BEGIN`, lock the batch's subjects, then the completions in waves in which no subject repeats, each wave a
    /// statement of its own, then `COMMIT`. The statements run one after another, each with its own snapshot, so each
    /// wave sees the watch rows that committed before the locks were granted and those the earlier waves wrote.
    ///
    /// Batches of up to ``keptPlanBatchLimit`` completions are one statement either way: `vigil_complete` takes the
    /// locks and finishes the jobs in order itself.
    func complete(_ completions: [JobResult], on connection: PostgresConnection?, into report: inout FinishReport) async throws {
        let window = monitorRecurrenceWindow.milliseconds
        let keptPlan = completions.count <= keptPlanBatchLimit
        guard window > 0, !keptPlan else {
            let statement = completeStatement(completions, window: window, sql: keptPlan ? Self.completeKeptPlanSQL : Self.completeSQL)
            let result = try await using(connection) { try await $0.run(statement) }
            try Self.collectCompletions(result, into: &report)
            return
        }
        var known = completions.map(\.subjects)
        let unknown = known.indices.filter { known[$0] == nil }
        if !unknown.isEmpty {
            let keys = unknown.map { completions[$0].key }
            let parameters: [any PostgresEncodable] = [keys.map(\.shard), keys.map(\.alertID)]
            let read = try await using(connection) { try await $0.query(Self.selectSubjectsSQL, parameters) }
            var byKey: [ClaimedJob.Key: [String]] = [:]
            for row in read {
                let key = ClaimedJob.Key(shard: try row.decode(Int.self, at: 0), alertID: try row.decode(UUID.self, at: 1))
                byKey[key, default: []].append(try row.decode(String.self, at: 2))
            }
            for (index, key) in zip(unknown, keys) { known[index] = byKey[key] ?? [] }
        }
        let all = known.map { $0 ?? [] }
        // Prepared: parsed once per connection (and, like every statement, planned on each run).
        var statements = [PostgresStatement("BEGIN"), PostgresStatement(Self.lockSubjectsSQL, [Array(Set(all.joined()))], prepared: true)]
        for wave in Self.waves(completions.indices.map { (completions[$0], all[$0]) }) {
            statements.append(completeStatement(wave, window: window))
        }
        statements.append(PostgresStatement("COMMIT"))
        report = try await using(connection) { connection in
            let outcomes = try await connection.pipeline(statements)
            // After an error the explicit transaction is left aborted; the pool rolls it back when the connection
            // returns, and the writer closes a connection of its own.
            for case .failure(let error) in outcomes { throw error }
            var report = report
            for outcome in outcomes[2..<(outcomes.count - 1)] { try Self.collectCompletions(outcome.get(), into: &report) }
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
