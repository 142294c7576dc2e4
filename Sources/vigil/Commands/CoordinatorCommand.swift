import ArgumentParser
import Hummingbird
import Logging
import VigilCoordinator
import VigilPostgres
import VigilSchema
import VigilWebhooks
import ServiceLifecycle
import Foundation

struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run the coordinator: the HTTP ingest and status API (stops gracefully on SIGTERM/SIGINT)."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "HOST:PORT to listen on.")
    var listen = "127.0.0.1:8080"

    @Option(help: "Largest request body, in bytes.")
    var maxBodyBytes = 16 << 20

    @Option(help: "Backlog (ready + running jobs) above which ingest answers 429.")
    var backlogHighWater = 1_000_000

    @Option(help: "Most alerts in one request.")
    var maxBatchItems = 10_000

    @Option(help: "Database connections in the pool.")
    var connections = 8

    @Flag(help: "Send review-console cookies without Secure (plain-HTTP development on localhost only).")
    var consoleInsecureCookies = false
    @Option(help: "A JSON file of webhooks to notify of verdicts (see deploy/README.md); this coordinator then runs the delivery loop.")
    var webhooks: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @OptionGroup var log: LogOptions

    @Option(
        help: ArgumentHelp(
            "Seconds a request may wait on the database (connect, pool acquisition, each statement) before it gets 503.",
            discussion: """
                While PostgreSQL is down, ingest and /readyz answer 503 with Retry-After within this bound. Statements \
                are cancelled by the server after 6× this bound, and abandoned by the coordinator after 7× it when \
                the server has stopped answering altogether (a frozen host).
                """
        )
    )
    var databaseTimeout = 5

    func run() async throws {
        log.bootstrap(level: logLevel)
        let (host, port) = try parseHostPort(listen)
        var postgres = try await database.configuration()
        postgres.maxConnections = connections
        postgres.connectTimeoutSeconds = max(2, databaseTimeout)
        postgres.acquireTimeout = .seconds(max(1, databaseTimeout))
        postgres.statementTimeout = .seconds(max(1, databaseTimeout) * 6)
        // A frozen server answers nothing, so its statement_timeout never fires: the client gives up soon after.
        postgres.clientTimeout = .seconds(max(1, databaseTimeout) * 7)
        let pool = PostgresPool(configuration: postgres)
        let logger = Logger(label: "vigil.coordinator")
        guard try await VigilSchema.migrator().isCurrent(pool) else {
            throw ValidationError("the database schema is not current: run vigil migrate")
        }
        let router = try await Coordinator.shardRouter(pool)
        var configuration = CoordinatorConfiguration(host: host, port: port, maxBodyBytes: maxBodyBytes, backlogHighWater: backlogHighWater)
        configuration.ingest.maxItems = maxBatchItems
        configuration.consoleSecureCookies = !consoleInsecureCookies
        let coordinator = try Coordinator(configuration: configuration, pool: pool, router: router, logger: logger)
        var services: [any Service] = []
        if let webhooks {
            guard let data = FileManager.default.contents(atPath: webhooks) else { throw ValidationError("--webhooks: cannot read \(webhooks)") }
            let settings = try WebhookConfiguration.parse(String(decoding: data, as: UTF8.self))
            let outbox = WebhookOutbox(pool: pool)
            services.append(WebhookDeliveryService(configuration: settings, outbox: outbox, logger: Logger(label: "vigil.webhooks")))
            logger.info(
                "webhooks configured",
                metadata: ["webhooks": "\(settings.webhooks.map { "\($0.name) → \($0.displayHost)" }.joined(separator: ", "))"])
        }
        let app = coordinator.application(services: services) { channel in
            logger.info("coordinator listening", metadata: ["address": "\(channel.localAddress?.description ?? listen)"])
        }
        try await app.runService()
        await pool.close()
    }
}

/// Splits `HOST:PORT` (IPv6 hosts in brackets: `[::1]:8080`).
func parseHostPort(_ text: String) throws -> (String, Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
        throw ValidationError("--listen must be HOST:PORT, for example 127.0.0.1:8080")
    }
    var host = String(text[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host.isEmpty ? "0.0.0.0" : host, port)
}
