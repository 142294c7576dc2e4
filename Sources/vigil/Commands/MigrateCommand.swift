import ArgumentParser
import VigilPostgres
import VigilQueue
import VigilSchema

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply Vigil's database migrations (safe to run from several machines at once; re-running is a no-op)."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The shard count S, fixed when the cluster is created (default 64); a different value later is refused.")
    var shards: Int?

    func run() async throws {
        let pool = PostgresPool(configuration: try await database.configuration())
        let report = try await VigilSchema.migrator().migrate(pool)
        let shardCount = try await ClusterSettings.ensureShardCount(pool, requested: shards)
        if report.applied.isEmpty {
            print("schema is current at version \(report.currentVersion); \(shardCount) shards")
        } else {
            print("applied migrations \(report.applied.map(String.init).joined(separator: ", ")); schema at version \(report.currentVersion); \(shardCount) shards")
        }
        await pool.close()
    }
}
