import Hummingbird
import Logging
import Synchronization
import VigilCore

/// A local LLM API server for tests and benchmarks: the Anthropic Messages API (`POST /v1/messages`) and the
/// OpenAI-compatible Chat Completions API (`POST /v1/chat/completions`) over real HTTP, with real rate-limit
/// headers, 429 / 529 / 500 answers and scripted behaviours (``SimulatorBehaviour``).
///
/// Other routes: `GET /stats` (``SimulatorStats``), `GET /requests` (the request log), `POST /admin/storm?seconds=N`
/// (refuse every model request with 429 for N seconds), `POST /admin/fail?status=429|500|529&count=N[&retry_after=S]`
/// (answer the next N model requests with that status, see ``injectFailures(_:count:)``), `POST /admin/reset` (clear
/// statistics, log, prompt cache and forced failures, refill the buckets, end a storm), `GET /health`.
///
/// Per request, the header `x-sim-behaviour: NAME` picks the behaviour and `x-sim-latency-ms: N` replaces the
/// sampled latency.
///
/// Lifecycle: build the server with ``makeApplication(onServerRunning:)`` and run it as a `Service` (the CLI
/// uses `runService()`), or use ``withRunning(_:logger:body:)`` to run it on a free port for the length of a
/// closure. Statistics and the log live in memory and are shared by every connection.
public final class LLMSimulator: Sendable {
    public let configuration: SimulatorConfiguration
    let logger: Logger
    private let origin = ContinuousClock.now
    private let state: Mutex<State>

    struct State: Sendable {
        var limiter: SimulatorRateLimiter
        var promptCache = PromptCache()
        /// Failures forced by ``injectFailures(_:count:)``, answered first in, first out.
        var forcedFailures: [InjectedFailure] = []
        var random: SeededRandomGenerator
        var stats = SimulatorStats()
        var log: [SimulatorRequestLogEntry] = []
        var sequence = 0
    }

    /// Validates the configuration and prepares an idle simulator.
    /// - Throws: ``SimulatorError`` with code `invalidConfiguration`.
    public init(configuration: SimulatorConfiguration, logger: Logger = Logger(label: "vigil.llm-sim")) throws(SimulatorError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        let limiter = SimulatorRateLimiter(
            requestsPerMinute: configuration.requestsPerMinute,
            inputTokensPerMinute: configuration.inputTokensPerMinute,
            outputTokensPerMinute: configuration.outputTokensPerMinute,
            burstSeconds: configuration.burstSeconds,
            now: 0
        )
        self.state = Mutex(State(limiter: limiter, random: SeededRandomGenerator(seed: configuration.seed)))
    }

    /// Seconds since the simulator was created, on the monotonic clock.
    var now: Double {
        (ContinuousClock.now - origin).seconds
    }

    func withState<T>(_ body: (inout State) -> T) -> T {
        state.withLock { body(&$0) }
    }

    // MARK: Inspection and control

    /// What was served since start or the last reset.
    public func stats() -> SimulatorStats { withState { $0.stats } }

    /// The request log, oldest first (at most ``SimulatorConfiguration/requestLogCapacity`` entries).
    public func requestLog() -> [SimulatorRequestLogEntry] { withState { $0.log } }

    /// Clears statistics, the request log, the prompt cache and forced failures, fills every bucket and ends any
    /// storm.
    public func reset() {
        let now = self.now
        withState {
            $0.stats = SimulatorStats()
            $0.log = []
            $0.sequence = 0
            $0.limiter.reset(at: now)
            $0.promptCache.removeAll()
            $0.forcedFailures = []
        }
    }

    /// Refuses every model request with 429 (`retry-after` = the storm's remaining seconds) for `seconds`.
    public func startStorm(seconds: Double) {
        let now = self.now
        withState { $0.limiter.startStorm(seconds: max(0, seconds), at: now) }
    }

    /// A failure that ``injectFailures(_:count:)`` forces on the next model requests.
    public enum InjectedFailure: Sendable, Hashable {
        /// 429 with `retry-after` of this many seconds (at least 1).
        case rateLimited(retryAfterSeconds: Int)
        /// 529 `overloaded_error` (Anthropic), 503 (OpenAI).
        case overloaded
        /// 500.
        case serverError
    }

    /// Answers the next `count` model requests (of either API, after key and body checks) with `failure` instead
    /// of a reply, without touching the rate-limit buckets; for deterministic retry tests ("two 529s, then success").
    public func injectFailures(_ failure: InjectedFailure, count: Int) {
        withState { $0.forcedFailures += Array(repeating: failure, count: max(0, count)) }
    }

    // MARK: Server

    /// The Hummingbird application serving this simulator on the configured host and port.
    /// - Parameter onServerRunning: called with the bound port once the server listens (useful with port 0).
    public func makeApplication(
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        addRoutes(to: router)
        let logger = self.logger
        let host = configuration.host
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: "vigil-llm-sim"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("llm-sim listening", metadata: ["host": "\(host)", "port": "\(port)"])
                await onServerRunning(port)
            },
            logger: logger
        )
    }
}
