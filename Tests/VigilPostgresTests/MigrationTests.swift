import Foundation
import Testing
import VigilPostgres
import VigilSchema

@Suite("Migrations")
struct MigrationTests {
    /// Migrations that fail if applied twice (no IF NOT EXISTS).
    static let sample = [
        Migration(version: 1, name: "one", sql: "CREATE TABLE one (id int PRIMARY KEY);"),
        Migration(version: 2, name: "two", sql: "CREATE TABLE two (id int PRIMARY KEY); INSERT INTO two VALUES (1);"),
        Migration(version: 3, name: "three", sql: "ALTER TABLE two ADD COLUMN note text;"),
    ]

    @Test("migrating twice is a no-op")
    func idempotent() async throws {
        try await TestDatabase.with { db in
            let migrator = try Migrator(migrations: Self.sample)
            let first = try await migrator.migrate(db.pool)
            #expect(first.applied == [1, 2, 3])
            let second = try await migrator.migrate(db.pool)
            #expect(second.applied == [])
            #expect(second.currentVersion == 3)
            #expect(try await migrator.isCurrent(db.pool))
        }
    }

    @Test("two concurrent runners apply each migration once")
    func concurrentRunners() async throws {
        try await TestDatabase.with(maxConnections: 4) { db in
            let migrator = try Migrator(migrations: Self.sample)
            let second = PostgresPool(configuration: db.configuration)
            async let a = migrator.migrate(db.pool)
            async let b = migrator.migrate(second)
            let reports = try await [a, b]
            #expect(reports.flatMap(\.applied).sorted() == [1, 2, 3])
            let rows = try await db.pool.query("SELECT count(*) AS n FROM schema_migrations")
            #expect(try rows[0].decode(Int.self, column: "n") == 3)
            await second.close()
        }
    }

    @Test("a database newer than the binary is refused")
    func newerDatabaseRefused() async throws {
        try await TestDatabase.with { db in
            try await Migrator(migrations: Self.sample).migrate(db.pool)
            let older = try Migrator(migrations: Array(Self.sample.prefix(2)))
            let error = await #expect(throws: PostgresError.self) { try await older.migrate(db.pool) }
            #expect(error?.code == .migration)
            #expect(error?.message.contains("newer") == true)
        }
    }

    @Test("an applied migration edited afterwards is refused")
    func changedMigrationRefused() async throws {
        try await TestDatabase.with { db in
            try await Migrator(migrations: Self.sample).migrate(db.pool)
            var edited = Self.sample
            edited[0].sql = "CREATE TABLE one (id bigint PRIMARY KEY);"
            let error = await #expect(throws: PostgresError.self) { try await Migrator(migrations: edited).migrate(db.pool) }
            #expect(error?.message.contains("changed") == true)
        }
    }

    @Test("a failing migration rolls back and names itself")
    func failingMigration() async throws {
        try await TestDatabase.with { db in
            let broken = Self.sample + [Migration(version: 4, name: "broken", sql: "CREATE TABLE four (id int); SELEC 1;")]
            let error = await #expect(throws: PostgresError.self) { try await Migrator(migrations: broken).migrate(db.pool) }
            #expect(error?.message.contains("migration 4 (broken)") == true)
            let rows = try await db.pool.query("SELECT to_regclass('four') IS NULL AS gone, max(version) AS v FROM schema_migrations")
            #expect(try rows[0].decode(Bool.self, column: "gone"))
            #expect(try rows[0].decode(Int.self, column: "v") == 3)
        }
    }

    @Test("Vigil's own migrations apply, and every file in sql/migrations is listed")
    func vigilSchema() async throws {
        let directory = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("sql/migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
        let listed = VigilSchema.migrations.map { String(format: "%04d_%@.sql", $0.version, $0.name) }.sorted()
        #expect(files == listed)
        for migration in VigilSchema.migrations {
            let text = try String(contentsOf: directory.appendingPathComponent(String(format: "%04d_%@.sql", migration.version, migration.name)), encoding: .utf8)
            #expect(text == migration.sql, "embedded migration \(migration.version) differs from its file")
        }
        try await TestDatabase.with { db in
            let report = try await VigilSchema.migrator().migrate(db.pool)
            #expect(report.currentVersion == VigilSchema.migrations.last?.version)
        }
    }
}
