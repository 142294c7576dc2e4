import ArgumentParser
import VigilPostgres
import VigilSchema

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply Vigil's database migrations (safe to run from several machines at once; re-running is a no-op)."
    )

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let pool = PostgresPool(configuration: try await database.configuration())
        defer { Task { await pool.close() } }
        let report = try await VigilSchema.migrator().migrate(pool)
        if report.applied.isEmpty {
            print("schema is current at version \(report.currentVersion)")
        } else {
            print("applied migrations \(report.applied.map(String.init).joined(separator: ", ")); schema at version \(report.currentVersion)")
        }
        await pool.close()
    }
}
