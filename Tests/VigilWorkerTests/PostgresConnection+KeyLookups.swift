import Testing
import VigilPostgres

extension PostgresConnection {
    /// Runs `work` in a transaction of its own on this connection and expects it to have read `tables` by key only:
    /// no sequential scan, and at most `maxIndexEntries` entries read from any one index of each table (an index
    /// walked through reads them all).
    func expectKeyLookups<T>(
        _ what: String, tables: [String], maxIndexEntries: Int = 200, _ work: () async throws -> T
    ) async throws -> T {
        // PostgreSQL 15 keeps a backend's counts of earlier transactions in the `xact` views until it flushes them
        // (at most once a second, when idle): flush them now, so that what follows counts `work` alone.
        try await query("SELECT pg_stat_force_next_flush()")
        try executeScript("BEGIN")
        let value = try await work()
        let scans = try await query(
            """
            SELECT t.relname, t.seq_scan, coalesce(max(pg_stat_get_xact_tuples_returned(i.indexrelid)), 0)
            FROM pg_stat_xact_user_tables t LEFT JOIN pg_index i ON i.indrelid = t.relid
            WHERE t.schemaname = current_schema() AND t.relname = ANY ($1)
            GROUP BY t.relname, t.seq_scan
            """, [tables])
        try executeScript("COMMIT")
        #expect(scans.count > 0, "\(what): no statistics of \(tables)")
        for row in scans {
            let table = try row.decode(String.self, at: 0)
            let (sequential, entries) = (try row.decode(Int.self, at: 1), try row.decode(Int.self, at: 2))
            #expect(sequential == 0, "\(what): \(sequential) sequential scans of \(table)")
            #expect(entries <= maxIndexEntries, "\(what): \(entries) entries read from an index of \(table)")
        }
        return value
    }
}
