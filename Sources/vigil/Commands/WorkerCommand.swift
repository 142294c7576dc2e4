import ArgumentParser
import Logging
import VigilLLM
import VigilPostgres
import VigilQueue
import VigilWorker
import VigilObservability
import ServiceLifecycle

/// `vigil worker`: claims and triages jobs until SIGTERM/SIGINT, then shuts down in two phases.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker: hold a fair share of shard leases, claim and triage their jobs.",
        discussion: """
            The database comes from --database-url, else DATABASE_URL, else libpq's PG* variables. \
            SIGTERM or SIGINT stops claiming, lets in-flight jobs finish within --drain-timeout, hands the rest \
            back and releases the shard leases.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var llm: LLMOptions

    @Option(help: "Jobs whose triage step runs at once at most (as many more may wait while their results are written).")
    var maxInFlight = 64

    @Option(help: "Jobs claimed per statement at most (with short steps, claims wait for room for a quarter of this).")
    var claimBatch = 128

    @Option(help: "Shard lease duration in seconds (the same for the whole cluster).")
    var leaseSeconds = 30.0

    @Option(help: "Job lease duration in seconds; running jobs are heartbeated every third of it.")
    var jobLeaseSeconds = 30.0

    @Option(help: "Shard leases stolen per lease tick at most, when below the fair share.")
    var maxSteals = 1

    @Option(help: "Seconds between polls when no notification arrives.")
    var pollSeconds = 1.0

    @Option(help: "Seconds in-flight jobs may run on after SIGTERM before they are handed back.")
    var drainTimeout = 10.0

    @Option(help: "Base delay of the retry backoff in seconds.")
    var retryBaseSeconds = 1.0

    @Option(help: "Milliseconds the placeholder triage step takes per job (simulated work, for tests and benchmarks).")
    var placeholderWorkMs = 0

    @Option(
        help: ArgumentHelp(
            "The triage step: ai, rules or placeholder.",
            discussion: "'ai': the rule path and the AI path concurrently, merged under the guardrails (the default when an LLM "
                + "provider is configured). 'rules': the rule path alone under the guardrails (the default otherwise). "
                + "'placeholder': records a placeholder ESCALATE, for tests and queue benchmarks."
        ))
    var triage: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @OptionGroup var log: LogOptions

    @Option(help: "HOST:PORT for /metrics (Prometheus), /healthz and /readyz; none when not given.")
    var metricsListen: String?

    @Option(help: "MONITOR recurrence window in hours: a later alert about the same principal or resource escalates (0: off).")
    var monitorWindowHours = 24.0

    func run() async throws {
        log.bootstrap(level: logLevel)
        var postgres = try await database.configuration()
        let llmConfiguration = try llm.configuration()
        // The AI step's tools query the same pool: a few more connections so they never starve heartbeats and claims.
        postgres.maxConnections = llmConfiguration == nil ? 6 : 10
        postgres.applicationName = "vigil-worker"
        var configuration = WorkerConfiguration(
            maxInFlight: maxInFlight, claimBatch: claimBatch, jobLease: .seconds(jobLeaseSeconds),
            leaseDuration: .seconds(leaseSeconds), maxStealsPerTick: maxSteals, pollInterval: .seconds(pollSeconds),
            drainTimeout: .seconds(drainTimeout), retryPolicy: RetryPolicy(baseDelay: .seconds(retryBaseSeconds)))
        configuration.monitorRecurrenceWindow = .milliseconds(Int64(monitorWindowHours * 3_600_000))
        var logger = Logger(label: "vigil.worker")
        logger.logLevel = logLevel
        let pool = PostgresPool(configuration: postgres, logger: logger)
        let step: any TriageStep
        switch triage ?? (llmConfiguration == nil ? "rules" : "ai") {
        case "placeholder":
            step = PlaceholderTriageStep(simulatedWork: .milliseconds(placeholderWorkMs))
        case "rules":
            let reason = llmConfiguration == nil ? "no LLM provider is configured" : "--triage rules was chosen"
            logger.notice("AI path off: \(reason); the rule path decides alone and verdicts are marked ai_disabled")
            step = try RulePathTriageStep.builtin()
        case "ai":
            guard let llmConfiguration else {
                throw ValidationError("--triage ai needs an LLM provider: --llm-provider or VIGIL_LLM_PROVIDER")
            }
            step = try await llmConfiguration.makeStep(pool: pool, rulePath: try RulePath.builtin(), logger: logger)
            let limits = llmConfiguration.limits.map {
                "rpm \($0.requestsPerMinute), itpm \($0.inputTokensPerMinute), otpm \($0.outputTokensPerMinute)"
            }
            logger.notice(
                "AI path on",
                metadata: [
                    "provider": "\(llmConfiguration.provider.kind.rawValue)", "base_url": "\(llmConfiguration.provider.baseURL)",
                    "model": "\(llmConfiguration.provider.model)", "api_key": "\(llmConfiguration.provider.apiKey.map(\.description) ?? "none")",
                    "limits": "\(limits ?? "none (per-worker concurrency cap only)")",
                    "concurrency": "\(llmConfiguration.client.maxConcurrentCalls)",
                ])
        default:
            throw ValidationError("--triage must be 'ai', 'rules' or 'placeholder'")
        }
        let worker = try await QueueWorker.make(pool: pool, configuration: configuration, step: step, logger: logger)
        logger.info("worker started", metadata: ["worker": "\(worker.workerID)", "shards": "\(worker.shardCount)"])
        if let metricsListen {
            let (host, port) = try parseHostPort(metricsListen)
            let server = MetricsServer(host: host, port: port, logger: logger, ready: { !worker.isDraining })
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [server] + worker.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        } else {
            try await worker.run()
        }
        await pool.close()
        logger.info("worker stopped", metadata: ["worker": "\(worker.workerID)"])
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
