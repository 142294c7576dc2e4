import ArgumentParser
import Logging
import VigilLLM
import VigilPostgres
import VigilQueue
import VigilWorker

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

    @Option(help: "Jobs running at once at most.")
    var maxInFlight = 64

    @Option(help: "Jobs claimed per statement at most.")
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

    @Option(help: "The triage step: 'ai' (rule path and AI path concurrently, merged under the guardrails; the default when an LLM provider is configured), 'rules' (the rule path alone under the guardrails; the default otherwise) or 'placeholder' (records a placeholder ESCALATE, for tests and queue benchmarks).")
    var triage: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        var postgres = try await database.configuration()
        postgres.maxConnections = 6
        postgres.applicationName = "vigil-worker"
        let configuration = WorkerConfiguration(
            maxInFlight: maxInFlight, claimBatch: claimBatch, jobLease: .seconds(jobLeaseSeconds),
            leaseDuration: .seconds(leaseSeconds), maxStealsPerTick: maxSteals, pollInterval: .seconds(pollSeconds),
            drainTimeout: .seconds(drainTimeout), retryPolicy: RetryPolicy(baseDelay: .seconds(retryBaseSeconds)))
        var logger = Logger(label: "vigil.worker")
        logger.logLevel = logLevel
        let pool = PostgresPool(configuration: postgres, logger: logger)
        let llmConfiguration = try llm.configuration()
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
        try await worker.run()
        await pool.close()
        logger.info("worker stopped", metadata: ["worker": "\(worker.workerID)"])
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
