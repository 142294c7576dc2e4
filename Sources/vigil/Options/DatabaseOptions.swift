import ArgumentParser
import Foundation
import VigilPostgres

/// Where a command finds PostgreSQL.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "A libpq conninfo string or postgresql:// URL (secret: may hold a password).",
            discussion: "Defaults to DATABASE_URL, else libpq's PG* variables, .pgpass and service files."
        )
    )
    var databaseURL: String?

    @Flag(help: "Use (and start if needed) a private PostgreSQL under .vigil/postgres, for trying Vigil out.")
    var embedded = false

    @Option(help: "The folder for Vigil's local state (the embedded server).")
    var stateDirectory: String = ".vigil"

    /// The configuration to use, starting the embedded server when asked.
    func configuration() async throws -> PostgresConfiguration {
        if embedded {
            let server = EmbeddedPostgres(root: URL(fileURLWithPath: stateDirectory))
            return PostgresConfiguration(connectionString: try await server.start())
        }
        if let databaseURL { return PostgresConfiguration(connectionString: databaseURL) }
        return PostgresConfiguration.fromEnvironment()
    }
}
