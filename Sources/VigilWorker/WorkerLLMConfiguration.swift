import Logging
import VigilCore
import VigilEnrichment
import VigilLLM
import VigilPostgres

/// The AI path of one worker process: provider, cluster rate limits, client retries and concurrency, agent bounds,
/// and how the tools' windows are anchored. ``makeStep(pool:rulePath:logger:)`` builds the ``AITriageStep``.
///
/// Keys and defaults: ``provider`` (its own keys; its API key is the only secret, read from the environment or a
/// file and never logged); ``limits`` (nil: no cluster-wide limiter, only the per-worker concurrency cap);
/// ``burstSeconds`` (60); ``client`` (``LLMClient/Configuration``: 4 concurrent calls, 4 attempts, backoff 1–30 s,
/// circuit breaker after 5 failures); ``step`` (``AITriageStep/Configuration``: 8 turns, 1024 tokens per call, 30 s per
/// call, 120 s per alert); ``investigationClock`` (`.wall`).
public struct WorkerLLMConfiguration: Sendable {
    public var provider: LLMProviderConfiguration
    /// Requests, input tokens and output tokens per minute shared by every worker of the cluster (table
    /// `llm_rate_limit`, one row per provider and model).
    public var limits: RateLimits?
    /// Capacity of the shared buckets in seconds of refill (1…60).
    public var burstSeconds: Double
    public var client: LLMClient.Configuration
    public var step: AITriageStep.Configuration
    public var investigationClock: InvestigationClock

    public init(
        provider: LLMProviderConfiguration,
        limits: RateLimits? = nil,
        burstSeconds: Double = 60,
        client: LLMClient.Configuration = LLMClient.Configuration(),
        step: AITriageStep.Configuration = AITriageStep.Configuration(),
        investigationClock: InvestigationClock = .wall
    ) {
        self.provider = provider
        self.limits = limits
        self.burstSeconds = burstSeconds
        self.client = client
        self.step = step
        self.investigationClock = investigationClock
    }

    /// Checks the keys that are not the provider's (``LLMProviderConfiguration/validate(environment:)`` checks those).
    /// - Throws: ``LLMProviderError`` `.configuration` naming the key.
    public func validate() throws(LLMProviderError) {
        func fail(_ message: String) -> LLMProviderError { LLMProviderError(.configuration, provider: provider.kind.rawValue, detail: message) }
        if let limits {
            guard limits.requestsPerMinute > 0, limits.inputTokensPerMinute > 0, limits.outputTokensPerMinute > 0 else {
                throw fail("rate limits must be positive")
            }
        }
        guard burstSeconds.isFinite, burstSeconds >= 1, burstSeconds <= 60 else { throw fail("burst seconds must be in 1...60") }
        guard client.maxConcurrentCalls >= 1 else { throw fail("max concurrent calls must be at least 1") }
        guard client.maxAttempts >= 1 else { throw fail("max attempts must be at least 1") }
        let agent = step.agent
        guard agent.maxTurns >= 1 else { throw fail("max turns must be at least 1") }
        guard agent.maxTokensPerCall >= 1 else { throw fail("max tokens must be at least 1") }
        guard agent.callTimeout > .zero, agent.deadline > .zero else { throw fail("call timeout and deadline must be positive") }
    }

    /// Builds the AI step: reads the API key, prepares the shared rate-limit row when limits are set, and wires the
    /// enrichment tools on `pool`.
    /// - Throws: ``LLMProviderError`` `.configuration` for a bad key or value; ``PostgresError`` from the rate-limit row.
    public func makeStep(pool: PostgresPool, rulePath: any RulePathEvaluating, logger: Logger) async throws -> AITriageStep {
        try validate()
        let provider = try self.provider.makeProvider()
        var limiter: any LLMRateLimiter = UnlimitedRateLimiter()
        if let limits {
            let shared = PostgresRateLimiter(
                configuration: .init(provider: self.provider.kind.rawValue, model: self.provider.model, limits: limits, burstSeconds: burstSeconds),
                database: pool,
                logger: logger
            )
            try await shared.prepare()
            limiter = shared
        }
        let client = LLMClient(provider: provider, limiter: limiter, configuration: client, logger: logger)
        let context = ToolContext(pool: pool)
        let clock = investigationClock
        return AITriageStep(
            rulePath: rulePath,
            client: client,
            tools: { alert in clock.tools(for: alert, context: context, logger: logger) },
            configuration: step,
            logger: logger
        )
    }
}
