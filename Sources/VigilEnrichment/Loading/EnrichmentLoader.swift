import Foundation
import Logging
import VigilPostgres

/// Loads log files and feeds into the enrichment tables (`sql/migrations/0003_enrichment.sql`).
///
/// Each file is parsed record by record (a bad record is rejected with its position; the others load); CloudTrail
/// files are read in chunks (``CloudTrailRecordStream``), so a file of any size loads in bounded memory. Rows are
/// gathered into batches of about ``batchRows``, one transaction each (a failure leaves no half batch): the day
/// partitions they need are created and they are copied in, either straight into insert-only tables (keys stored
/// already are skipped) or through a staging table and `ON CONFLICT`; re-loading a file adds nothing. CloudTrail
/// events are also summarised per principal and hour (``PrincipalActivity``) and per source address and hour
/// (``AddressActivity``) in the same transaction, counting only the events actually inserted.
public struct EnrichmentLoader: Sendable {
    public let pool: PostgresPool
    /// The clock for intel expiry (`expires_at = now + expiresIn`).
    public var now: @Sendable () -> Date
    /// Options of the intel loader.
    public var intelOptions = IntelFeedParser.Options()

    public init(pool: PostgresPool, now: @escaping @Sendable () -> Date = { Date() }) {
        self.pool = pool
        self.now = now
    }

    /// Rows written per transaction: files are parsed and gathered until this many rows are ready, and the next batch is
    /// parsed while the previous one is written. CloudTrail files are read in chunks and split across batches, so a
    /// load holds at most two batches of rows and one chunk of each file at a time.
    public var batchRows = 20_000

    /// Batches written at the same time, each in its own transaction on its own connection (PostgreSQL then uses as
    /// many cores); 1 writes one batch at a time.
    public var writers = 2

    /// Loads `paths` as `kind`, calling `progress` after each file with the number of files read.
    ///
    /// - Throws: ``LoadError`` for a file that cannot be read, ``PostgresError`` for database failures; batches written
    ///   before the failure stay (re-loading skips them).
    public func load(_ kind: LoadKind, paths: [String], progress: (Int) -> Void = { _ in }) async throws -> LoadSummary {
        var summary = LoadSummary()
        guard let target = Self.target(kind) else {
            for (index, path) in paths.enumerated() {
                summary.add(try await load(kind, path: path))
                progress(index + 1)
            }
            return summary
        }
        var batch = StagedRows()
        var writing: [Task<LoadSummary, any Error>] = []
        defer { for task in writing { task.cancel() } }
        var sawDuplicates = false
        var flushed = false
        func collect() async throws {
            let written = try await writing.removeFirst().value
            sawDuplicates = written.duplicates > 0
            summary.add(written)
        }
        /// Hands the batch to a writer: up to ``writers`` batches are written at once (each in its own transaction, on
        /// its own connection) while the next is parsed.
        func flush() async throws {
            while writing.count >= max(1, writers) { try await collect() }
            flushed = true
            let ready = batch
            let expectDuplicates = sawDuplicates
            writing.append(Task { try await self.write(ready, into: target, expectDuplicates: expectDuplicates) })
            batch = StagedRows()
        }
        for (index, path) in paths.enumerated() {
            if kind == .cloudtrail {
                // Streamed: a file is read in chunks and may span batches, so memory stays bounded whatever its size.
                var stream = try CloudTrailRecordStream(path: path)
                // The first batch is small, so the database starts writing while the rest is parsed.
                while try CloudTrailRecordParser.read(&stream, into: &batch, upTo: flushed ? batchRows : max(1, batchRows / 8)) {
                    try await flush()
                }
            } else {
                let staged = try parse(kind, path: path)
                batch.rows += staged.rows
                batch.rejected += staged.rejected
                if batch.rows.count >= batchRows { try await flush() }
            }
            progress(index + 1)
        }
        try await flush()
        while !writing.isEmpty { try await collect() }
        return summary
    }

    /// Loads one file.
    public func load(_ kind: LoadKind, path: String) async throws -> LoadSummary {
        guard Self.target(kind) != nil else { return try await AssetInventory.load(path: path).store(in: pool) }
        return try await load(kind, paths: [path])
    }

    static func target(_ kind: LoadKind) -> LoadTarget? {
        switch kind {
        case .cloudtrail: .cloudTrail
        case .vpcflow: .vpcFlow
        case .guardduty: .guardDuty
        case .intel: .intel
        case .auth: .auth
        case .assets: nil
        }
    }

    func parse(_ kind: LoadKind, path: String) throws -> StagedRows {
        switch kind {
        case .cloudtrail: try CloudTrailRecordParser.rows(path: path)
        case .vpcflow: try VPCFlowParser.rows(path: path)
        case .guardduty: try GuardDutyFindingParser.rows(path: path)
        case .intel: try IntelFeedParser.rows(path: path, options: intelOptions, now: now())
        case .auth: try AuthEventParser.rows(path: path)
        case .assets: StagedRows()
        }
    }

    /// Writes a batch of rows (one transaction) and counts what happened to them.
    ///
    /// Insert-only tables first try to copy the batch straight in, unless `expectDuplicates` (the previous batch had
    /// some): a batch of new rows (the usual case: logs loaded once) then costs no key look-up; one that repeats a
    /// stored key fails on the primary key, is rolled back whole, and takes the checked path.
    func write(_ staged: StagedRows, into target: LoadTarget, expectDuplicates: Bool = true) async throws -> LoadSummary {
        var summary = LoadSummary()
        summary.read = staged.read
        summary.rejected = staged.rejected
        guard !staged.rows.isEmpty else { return summary }
        if target.directKeyTypes != nil, !expectDuplicates {
            do {
                summary.loaded = try await copyAll(staged.rows, into: target)
                return summary
            } catch let error as PostgresError where error.isUniqueViolation || error.isDeadlock {
                // Some rows are stored already, repeat within the batch, or were being stored by a batch written at
                // the same time (in another order: a deadlock PostgreSQL broke): look the keys up.
            }
        }
        if let keyTypes = target.directKeyTypes {
            do {
                let inserted = try await writeDirect(staged.rows, into: target, keyTypes: keyTypes)
                summary.loaded = inserted
                summary.duplicates = staged.rows.count - inserted
                return summary
            } catch let error as PostgresError where error.isUniqueViolation || error.isDeadlock {
                // Another loader stored some of these rows meanwhile, or was storing them in another order (a
                // deadlock PostgreSQL broke): take the staged path, which skips them.
            }
        }
        let inserted = try await writeStaged(staged.rows, into: target)
        summary.loaded = inserted
        summary.duplicates = staged.rows.count - inserted
        return summary
    }

    /// Deadlocks the staged path may meet before it gives up: its insert takes keys in key order, but a concurrent
    /// loader's direct COPY takes them in file order.
    static let stagedDeadlockRetries = 5

    /// The checked path: the rows are copied into a temporary table and inserted in key order with `ON CONFLICT`
    /// (skipping or refreshing stored keys), in one transaction; returns the rows inserted. Two staged writes lock
    /// keys in one order and cannot deadlock each other; when a direct COPY of another loader does (PostgreSQL
    /// aborts one of the two), the transaction is run again after a short random pause, up to
    /// ``stagedDeadlockRetries`` times.
    func writeStaged(_ rows: [[String?]], into target: LoadTarget) async throws -> Int {
        // Before the transaction, as on the other paths: the per-table partition lock is then not held through it.
        try await ensureDayPartitions(of: target, rows: rows)
        var deadlocks = 0
        while true {
            do {
                return try await writeStagedOnce(rows, into: target)
            } catch let error as PostgresError where error.isDeadlock && deadlocks < Self.stagedDeadlockRetries {
                deadlocks += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...50) * deadlocks))
            }
        }
    }

    private func writeStagedOnce(_ rows: [[String?]], into target: LoadTarget) async throws -> Int {
        let stage = "vigil_stage_\(target.table)"
        let (inserted, _) = try await pool.withTransaction { connection -> (Int, Int) in
            try await connection.executeScript(
                "CREATE TEMP TABLE \(stage) (LIKE \(target.table) INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            try await connection.copyFrom("COPY \(stage) (\(target.columnList)) FROM STDIN", rows: rows) { row, writer in
                for field in row { writer.field(field) }
            }
            let result = try await connection.query(target.insertStatement(from: stage))
            return (try result[0].decode(Int.self, column: "inserted"), try result[0].decode(Int.self, column: "touched"))
        }
        return inserted
    }

    /// Copies every row straight into the table with its day partitions (and summary), in one transaction; fails
    /// with a unique violation, keeping nothing, when any key is stored already or repeats within `rows`.
    func copyAll(_ rows: [[String?]], into target: LoadTarget) async throws -> Int {
        try await ensureDayPartitions(of: target, rows: rows)
        return try await pool.withTransaction { connection -> Int in try await Self.copy(rows, into: target, on: connection) }
    }

    /// The fast path for insert-only tables keyed by (key, time): the day partitions are created, the keys stored
    /// already are looked up, the batch's repeats and stored rows are dropped here, and the rest is copied
    /// straight into the table. A row stored by a concurrent loader in between fails the batch with a unique
    /// violation (nothing of it kept); the caller then takes the staged path.
    func writeDirect(_ rows: [[String?]], into target: LoadTarget, keyTypes: [String]) async throws -> Int {
        let keyIndexes = target.conflictKey.map { target.columns.firstIndex(of: $0)! }
        var seen = Set<[String?]>()
        var fresh: [Int] = []
        fresh.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() where seen.insert(keyIndexes.map { row[$0] }).inserted { fresh.append(index) }
        let keys = keyIndexes.map { column in PostgresArrayLiteral.text(fresh.map { rows[$0][column] ?? "" }) }
        let casts = zip(keyTypes.indices, keyTypes).map { "$\($0.0 + 1)::\($0.1)[]" }.joined(separator: ", ")
        let names = (0..<keyTypes.count).map { "k\($0)" }
        let match = zip(target.conflictKey, names).map { "e.\($0.0) = k.\($0.1)" }.joined(separator: " AND ")
        let selected = rows
        if target.partitionColumn != nil { try await ensureDayPartitions(of: target, times: keys[1]) }
        return try await pool.withTransaction { connection -> Int in
            let existing = try await connection.query(
                """
                SELECT k.n FROM unnest(\(casts)) WITH ORDINALITY AS k(\(names.joined(separator: ", ")), n)
                WHERE EXISTS (SELECT 1 FROM \(target.table) e WHERE \(match))
                """,
                keys
            )
            var stored = Set<Int>()
            for row in existing { stored.insert(try row.decode(Int.self, at: 0) - 1) }
            let insert = fresh.enumerated().filter { !stored.contains($0.offset) }.map { selected[$0.element] }
            guard !insert.isEmpty else { return 0 }
            return try await Self.copy(insert, into: target, on: connection)
        }
    }

    /// Copies `rows` into `target` (its partitions exist) and adds them to its summaries;
    /// returns the rows copied.
    static func copy(_ rows: [[String?]], into target: LoadTarget, on connection: PostgresConnection) async throws -> Int {
        let copied = try await connection.copyFrom("COPY \(target.table) (\(target.columnList)) FROM STDIN", rows: rows) { row, writer in
            for field in row { writer.field(field) }
        }
        for summary in target.summaries { try await summary.add(rows, target.columns, connection) }
        return copied
    }

    /// Creates the day partitions of `target` (and of its summaries) for the times of `rows`, nothing when it is not
    /// partitioned, in a statement of its own before the batch's transaction (on every write path): the per-table
    /// partition lock is then held only while partitions are made, so batches written at the same time do not wait for
    /// each other (a batch that fails later leaves at most empty partitions).
    func ensureDayPartitions(of target: LoadTarget, rows: [[String?]]) async throws {
        guard let column = target.partitionColumn else { return }
        let index = target.columns.firstIndex(of: column)!
        try await ensureDayPartitions(of: target, times: PostgresArrayLiteral.text(rows.map { $0[index] ?? "" }))
    }

    /// ``ensureDayPartitions(of:rows:)`` for the times of `times` (a `timestamptz[]` literal).
    func ensureDayPartitions(of target: LoadTarget, times: String) async throws {
        let also = target.summaries.map { ", vigil_ensure_day_partitions('\($0.table)', d)" }.joined()
        try await pool.query(
            """
            SELECT vigil_ensure_day_partitions($1, d)\(also)
            FROM (SELECT array(SELECT DISTINCT (t AT TIME ZONE 'UTC')::date FROM unnest($2::timestamptz[]) t) AS d) days
            """,
            [target.table, times]
        )
    }
}
