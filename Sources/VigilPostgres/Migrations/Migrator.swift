import Foundation

/// One numbered schema change.
public struct Migration: Sendable, Hashable {
    /// The number in the file name (`0003_…sql` is 3); applied in increasing order.
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// FNV-1a 64 of the SQL text: detects a migration edited after it was applied.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// What ``Migrator/migrate(_:)`` did.
public struct MigrationReport: Sendable, Hashable {
    /// Versions applied by this run, in order.
    public var applied: [Int]
    /// The schema's version afterwards.
    public var currentVersion: Int
}

/// One applied migration, as `schema_migrations` records it.
public struct AppliedMigration: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var checksum: String
    public var appliedAt: Date
}

/// Applies numbered migrations in order, each in its own transaction, recorded in `schema_migrations`.
///
/// Concurrent runners against the same schema serialise on an advisory lock, so each migration is
/// applied once; re-running is a no-op. A database whose schema is newer than the migrations this
/// binary knows is refused, as is one where an applied migration's text has since changed.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    /// - Throws: `.migration` when versions repeat.
    public init(migrations: [Migration]) throws(PostgresError) {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.version == b.version {
            throw PostgresError(code: .migration, message: "two migrations have version \(a.version)")
        }
        self.migrations = sorted
    }

    /// The newest version this binary knows.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    static let createTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """
    static let lock = "SELECT pg_advisory_lock(hashtext(current_schema() || '.vigil.migrate'))"
    static let unlock = "SELECT pg_advisory_unlock(hashtext(current_schema() || '.vigil.migrate'))"
    static let selectApplied = "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
    static let insertApplied = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"
    static let tableExists = "SELECT to_regclass('schema_migrations') IS NOT NULL AS present"

    /// Applies every pending migration.
    ///
    /// - Throws: `.migration` for a newer or altered database; the server's error (with the
    ///   migration's version in the message) when a migration fails, after rolling it back.
    @discardableResult
    public func migrate(_ pool: PostgresPool) async throws -> MigrationReport {
        try await pool.withConnection { connection in
            try await connection.query(Self.lock)
            do {
                let report = try await applyPending(connection)
                try await connection.query(Self.unlock)
                return report
            } catch {
                _ = try? await connection.query(Self.unlock)
                throw error
            }
        }
    }

    private func applyPending(_ connection: PostgresConnection) async throws -> MigrationReport {
        try await connection.executeScript(Self.createTable)
        let applied = try await Self.appliedMigrations(connection)
        try check(applied)
        let done = Set(applied.map(\.version))
        var report = MigrationReport(applied: [], currentVersion: applied.last?.version ?? 0)
        for migration in migrations where !done.contains(migration.version) {
            do {
                try await connection.withTransaction {
                    try await connection.executeScript(migration.sql)
                    try await connection.query(Self.insertApplied, [migration.version, migration.name, migration.checksum])
                }
            } catch var error as PostgresError {
                error.message = "migration \(migration.version) (\(migration.name)) failed: \(error.message)"
                throw error
            }
            report.applied.append(migration.version)
            report.currentVersion = migration.version
        }
        return report
    }

    /// Checks the recorded migrations against this binary's.
    private func check(_ applied: [AppliedMigration]) throws(PostgresError) {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in applied {
            guard let migration = known[record.version] else {
                if record.version > latestVersion {
                    throw PostgresError(
                        code: .migration,
                        message: "the database schema is at version \(applied.last!.version), newer than this vigil binary knows "
                            + "(\(latestVersion)); run a newer vigil"
                    )
                }
                throw PostgresError(code: .migration, message: "the database has migration \(record.version), which this binary does not know")
            }
            guard migration.checksum == record.checksum else {
                throw PostgresError(
                    code: .migration,
                    message: "migration \(record.version) (\(record.name)) was changed after it was applied; add a new migration instead"
                )
            }
        }
    }

    /// The migrations recorded in the database (empty when none ever ran).
    public static func appliedMigrations(_ connection: PostgresConnection) async throws -> [AppliedMigration] {
        let present = try await connection.query(tableExists)
        guard try present[0].decode(Bool.self, column: "present") else { return [] }
        return try await connection.query(selectApplied).map { row in
            AppliedMigration(
                version: try row.decode(Int.self, column: "version"),
                name: try row.decode(String.self, column: "name"),
                checksum: try row.decode(String.self, column: "checksum"),
                appliedAt: try row.decode(Date.self, column: "applied_at")
            )
        }
    }

    /// Whether the database is exactly at this binary's version (readiness checks use it).
    public func isCurrent(_ pool: PostgresPool) async throws -> Bool {
        let applied = try await pool.withConnection { try await Self.appliedMigrations($0) }
        return applied.last?.version == latestVersion
    }
}
