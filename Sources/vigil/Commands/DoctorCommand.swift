import ArgumentParser
import VigilPostgres
import VigilQueue
import VigilSchema

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the database: connection, server version, migrations, and whether it is a read-write primary."
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Apply pending migrations first (with --embedded, the default for a fresh private server).")
    var migrate = false

    func run() async throws {
        let configuration = try await database.configuration()
        let pool = PostgresPool(configuration: configuration)
        var problems: [String] = []
        do {
            let migrator = try VigilSchema.migrator()
            if migrate || database.embedded {
                try await migrator.migrate(pool)
                try await ClusterSettings.ensureShardCount(pool, requested: nil)
            }
            let facts = try await pool.withConnection { connection in
                let row = try await connection.query(
                    """
                    SELECT current_setting('server_version') AS version, pg_is_in_recovery() AS standby,
                           current_setting('transaction_read_only') AS read_only, current_database() AS database,
                           host(inet_server_addr()) AS address, inet_server_port() AS port
                    """
                )[0]
                let applied = try await Migrator.appliedMigrations(connection)
                return (
                    version: try row.decode(String.self, column: "version"),
                    standby: try row.decode(Bool.self, column: "standby"),
                    readOnly: try row.decode(String.self, column: "read_only"),
                    database: try row.decode(String.self, column: "database"),
                    address: try row.decode(String?.self, column: "address") ?? "local socket",
                    port: try row.decode(Int?.self, column: "port"),
                    applied: applied
                )
            }
            print("connection:  ok (database \(facts.database) at \(facts.address)\(facts.port.map { ":\($0)" } ?? ""))")
            print("server:      PostgreSQL \(facts.version)")
            let fenced = !facts.standby && facts.readOnly == "off"
            print("read-write:  \(fenced ? "yes, a primary accepting writes" : "NO: standby or read-only (use target_session_attrs=read-write)")")
            if !fenced { problems.append("the connection is not to a read-write primary") }
            let latest = migrator.latestVersion
            let current = facts.applied.last?.version ?? 0
            print("migrations:  \(facts.applied.count) applied, schema at version \(current), this binary knows \(latest)")
            for applied in facts.applied {
                print("  \(applied.version) \(applied.name) (applied \(applied.appliedAt))")
            }
            if current < latest { problems.append("migrations pending: run vigil migrate") }
            if current > latest { problems.append("the database is newer than this binary") }
        } catch {
            await pool.close()
            print("connection:  FAILED: \(error)")
            throw ExitCode(1)
        }
        await pool.close()
        if problems.isEmpty {
            print("doctor: all good")
        } else {
            for problem in problems { print("problem: \(problem)") }
            throw ExitCode(1)
        }
    }
}
