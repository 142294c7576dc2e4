import ArgumentParser
import Foundation
import VigilCore
import VigilLLM
import VigilWorker

/// `vigil worker`'s AI path: provider, bounds, rate limits, concurrency, prices.
///
/// With no provider (neither `--llm-provider` nor `VIGIL_LLM_PROVIDER`) the AI path is off. The API key is read from
/// `ANTHROPIC_API_KEY` / `OPENAI_API_KEY`, or `--llm-api-key-env NAME`, or `--llm-api-key-file PATH`; it is never
/// accepted on the command line and never logged.
struct LLMOptions: ParsableArguments {
    @Option(help: "LLM provider: anthropic or openai (OpenAI-compatible: vLLM, Ollama, llama.cpp). Default VIGIL_LLM_PROVIDER; none: AI path off.")
    var llmProvider: String?

    @Option(help: "Provider base URL (scheme, host, port). Default VIGIL_LLM_BASE_URL, else https://api.anthropic.com for anthropic.")
    var llmBaseURL: String?

    @Option(help: "Model name. Default VIGIL_LLM_MODEL, else claude-haiku-4-5-20251001 for anthropic.")
    var llmModel: String?

    @Option(help: "Read the API key from this environment variable (default ANTHROPIC_API_KEY / OPENAI_API_KEY).")
    var llmApiKeyEnv: String?

    @Option(help: "Read the API key from this file (e.g. a mounted secret); wins over the environment.")
    var llmApiKeyFile: String?

    @Flag(help: "Send no API key (local servers that need none).")
    var llmNoApiKey = false

    @Option(help: "Model calls per alert at most.")
    var llmMaxTurns = 8

    @Option(help: "max_tokens of each model call.")
    var llmMaxTokens = 1024

    @Option(help: "Seconds one model call may take.")
    var llmCallTimeout = 30.0

    @Option(help: "Seconds the whole AI path of one alert may take, rate-limit waits included.")
    var llmDeadline = 120.0

    @Option(help: "Cluster-wide requests per minute (shared by every worker through PostgreSQL). Omitted with --llm-itpm/--llm-otpm too: no shared limiter.")
    var llmRpm: Int?

    @Option(help: "Cluster-wide input tokens per minute.")
    var llmItpm: Int?

    @Option(help: "Cluster-wide output tokens per minute.")
    var llmOtpm: Int?

    @Option(help: "Capacity of the shared rate-limit buckets in seconds of refill (1-60).")
    var llmBurstSeconds = 60.0

    @Option(help: "Model calls in flight from this worker at once (the cap for servers that send no rate-limit headers).")
    var llmConcurrency = 4

    @Option(help: "Attempts per model call, the first included.")
    var llmMaxAttempts = 4

    @Option(help: "First backoff in seconds after an overload or server error (doubled per attempt).")
    var llmBackoffSeconds = 1.0

    @Option(help: "Consecutive provider failures that open the circuit breaker (alerts then go to the rule path).")
    var llmBreakerFailures = 5

    @Option(help: "Seconds the circuit breaker stays open first.")
    var llmBreakerOpenSeconds = 30.0

    @Option(help: "US dollars per million input tokens (default: Claude Haiku 4.5's list price for anthropic, 0 for openai).")
    var llmPriceInput: Double?

    @Option(help: "US dollars per million output tokens.")
    var llmPriceOutput: Double?

    @Option(help: "Where the tools' time windows end: 'wall' (now) or 'alert' (the alert's time plus an hour, for replayed data).")
    var llmToolsClock = "wall"

    /// The AI path's configuration, or nil when no provider is configured.
    /// - Throws: `ValidationError` naming the flag at fault; ``LLMProviderError`` for the provider's keys.
    func configuration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> WorkerLLMConfiguration? {
        guard var provider = try LLMProviderConfiguration.fromEnvironment(environment, provider: llmProvider, baseURL: llmBaseURL, model: llmModel)
        else { return nil }
        if llmNoApiKey {
            provider.apiKey = nil
        } else if let llmApiKeyFile {
            provider.apiKey = .file(llmApiKeyFile)
        } else if let llmApiKeyEnv {
            provider.apiKey = .environment(llmApiKeyEnv)
        }
        if llmPriceInput != nil || llmPriceOutput != nil {
            provider.prices = LLMPrices(
                inputPerMillion: llmPriceInput ?? provider.prices.inputPerMillion, outputPerMillion: llmPriceOutput ?? provider.prices.outputPerMillion)
        }
        provider.requestTimeout = max(provider.requestTimeout, .seconds(llmCallTimeout))
        guard let clock = InvestigationClock(rawValue: llmToolsClock) else {
            throw ValidationError("--llm-tools-clock must be 'wall' or 'alert'")
        }
        var limits: RateLimits?
        if llmRpm != nil || llmItpm != nil || llmOtpm != nil {
            // An unset dimension is unlimited in practice: a billion per minute.
            let unlimited = 1_000_000_000
            limits = RateLimits(
                requestsPerMinute: llmRpm ?? unlimited, inputTokensPerMinute: llmItpm ?? unlimited, outputTokensPerMinute: llmOtpm ?? unlimited)
        }
        guard llmBreakerFailures >= 1 else { throw ValidationError("--llm-breaker-failures must be at least 1") }
        let client = LLMClient.Configuration(
            maxConcurrentCalls: llmConcurrency,
            maxAttempts: llmMaxAttempts,
            initialBackoff: .seconds(llmBackoffSeconds),
            circuitBreaker: .init(failureThreshold: llmBreakerFailures, openDuration: .seconds(llmBreakerOpenSeconds))
        )
        let agent = TriageAgent.Configuration(
            maxTurns: llmMaxTurns, maxTokensPerCall: llmMaxTokens, callTimeout: .seconds(llmCallTimeout), deadline: .seconds(llmDeadline))
        let configuration = WorkerLLMConfiguration(
            provider: provider, limits: limits, burstSeconds: llmBurstSeconds, client: client,
            step: AITriageStep.Configuration(agent: agent), investigationClock: clock)
        try configuration.validate()
        return configuration
    }
}
