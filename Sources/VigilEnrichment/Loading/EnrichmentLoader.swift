import Foundation
import Logging
import VigilPostgres

/// Loads log files and feeds into the enrichment tables (`sql/migrations/0003_enrichment.sql`).
///
/// Each file is parsed record by record (a bad record is rejected with its position; the others load), its rows
/// streamed by COPY into a temporary staging table, the day partitions they need created, and then inserted with
/// `ON CONFLICT`: re-loading a file adds nothing. One transaction per file, so a failure leaves no half file.
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

    /// Loads `paths` as `kind`, calling `progress` after each file with the number of files done.
    ///
    /// - Throws: ``LoadError`` for a file that cannot be read, ``PostgresError`` for database failures.
    public func load(_ kind: LoadKind, paths: [String], progress: (Int) -> Void = { _ in }) async throws -> LoadSummary {
        var summary = LoadSummary()
        for (index, path) in paths.enumerated() {
            summary.add(try await load(kind, path: path))
            progress(index + 1)
        }
        return summary
    }

    /// Loads one file.
    public func load(_ kind: LoadKind, path: String) async throws -> LoadSummary {
        switch kind {
        case .cloudtrail: return try await write(CloudTrailRecordParser.rows(path: path), into: .cloudTrail)
        case .vpcflow: return try await write(VPCFlowParser.rows(path: path), into: .vpcFlow)
        case .guardduty: return try await write(GuardDutyFindingParser.rows(path: path), into: .guardDuty)
        case .intel: return try await write(IntelFeedParser.rows(path: path, options: intelOptions, now: now()), into: .intel)
        case .auth: return try await write(AuthEventParser.rows(path: path), into: .auth)
        case .assets: return try await AssetInventory.load(path: path).store(in: pool)
        }
    }

    /// Writes one file's rows (one transaction) and counts what happened to them.
    func write(_ staged: StagedRows, into target: LoadTarget) async throws -> LoadSummary {
        var summary = LoadSummary()
        summary.read = staged.read
        summary.rejected = staged.rejected
        guard !staged.rows.isEmpty else { return summary }
        let rows = staged.rows
        let stage = "vigil_stage_\(target.table)"
        let (inserted, touched) = try await pool.withTransaction { connection -> (Int, Int) in
            try await connection.executeScript(
                "CREATE TEMP TABLE \(stage) (LIKE \(target.table) INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            try await connection.copyFrom("COPY \(stage) (\(target.columnList)) FROM STDIN", rows: rows) { row, writer in
                for field in row { writer.field(field) }
            }
            if let column = target.partitionColumn {
                try await connection.query(
                    """
                    SELECT vigil_ensure_day_partitions($1, array_agg(DISTINCT (\(column) AT TIME ZONE 'UTC')::date))
                    FROM \(stage)
                    """,
                    [target.table]
                )
            }
            let result = try await connection.query(target.insertStatement(from: stage))
            return (try result[0].decode(Int.self, column: "inserted"), try result[0].decode(Int.self, column: "touched"))
        }
        _ = touched
        summary.loaded = inserted
        summary.duplicates = rows.count - inserted
        return summary
    }
}
