import Logging
import Synchronization
import VigilCore

/// One model call under the cluster's limits: the per-worker concurrency cap, the circuit breaker, the shared rate
/// limiter, and retries.
///
/// Retries: a 429 pauses the whole cluster for its `retry-after` (or the backoff when it gives none) and retries; a
/// 529/503/5xx, timeout or connection failure backs off exponentially with jitter and retries, and counts towards
/// opening the circuit breaker; 400/401/403/404/413 and other 4xx are final. Nothing is retried past the caller's
/// deadline or ``Configuration/maxAttempts``. While the breaker is open no call is sent: the result is
/// ``LLMProviderError/Code/circuitOpen`` at once, so the alert goes to the rule path.
public final class LLMClient: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Calls in flight from this worker at once (default 4): the cap for servers that send no rate-limit headers.
        public var maxConcurrentCalls: Int
        /// Attempts per call, the first included (default 4).
        public var maxAttempts: Int
        /// First backoff after an overload or server error (default 1 s), doubled per attempt up to ``maxBackoff``.
        public var initialBackoff: Duration
        public var maxBackoff: Duration
        public var circuitBreaker: CircuitBreaker<ContinuousClock.Instant>.Configuration

        public init(
            maxConcurrentCalls: Int = 4,
            maxAttempts: Int = 4,
            initialBackoff: Duration = .seconds(1),
            maxBackoff: Duration = .seconds(30),
            circuitBreaker: CircuitBreaker<ContinuousClock.Instant>.Configuration = .init()
        ) {
            self.maxConcurrentCalls = maxConcurrentCalls
            self.maxAttempts = maxAttempts
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.circuitBreaker = circuitBreaker
        }
    }

    /// One HTTP attempt, for the audit record. Its phases, in order: waiting for this worker's concurrency cap
    /// (``concurrencyWaitMilliseconds``), waiting for the cluster's rate limiter (``rateLimitWaitMilliseconds``), then
    /// ``latencyMilliseconds`` from the moment it was allowed to be sent to the end: the HTTP exchange
    /// (``wireMilliseconds``), decoding the answer (``decodeMilliseconds``) and settling the permit with the limiter
    /// (``settleMilliseconds``).
    public struct Attempt: Sendable, Hashable, Codable {
        /// HTTP status, nil when no response arrived.
        public var status: Int?
        /// The error code, nil on success.
        public var error: String?
        /// From the moment the limiter let the attempt go until the end of the attempt (wire, decode and settle).
        public var latencyMilliseconds: Double
        /// How long the cluster's rate limiter made this attempt wait before it was sent (this worker's concurrency cap
        /// not included).
        public var rateLimitWaitMilliseconds: Double
        /// How long the attempt waited for one of this worker's ``Configuration/maxConcurrentCalls`` slots.
        public var concurrencyWaitMilliseconds: Double = 0
        /// Time on the wire (``LLMResponse/wireDuration``): the provider's service time and the network. For an attempt
        /// without an answer to decode (an error), all of ``latencyMilliseconds`` but the settling.
        public var wireMilliseconds: Double = 0
        /// Encoding the HTTP request and decoding the answer's body into an ``LLMResponse``, in the worker.
        public var decodeMilliseconds: Double = 0
        /// ``LLMRateLimiter/finish(_:usage:rateLimit:)``: settling the permit after the answer.
        public var settleMilliseconds: Double = 0
    }

    /// What ``complete(_:timeout:deadline:)`` did.
    public struct Outcome: Sendable {
        public var result: Result<LLMResponse, LLMProviderError>
        public var attempts: [Attempt]
        /// Encoding the request into the provider's JSON body (``LLMProvider/prepare(_:)``), once per call.
        public var encodeMilliseconds: Double = 0
        /// The request as sent: pass it as the next turn's `continuing` (nil when nothing was encoded).
        public var prepared: PreparedLLMRequest?

        public init(
            result: Result<LLMResponse, LLMProviderError>, attempts: [Attempt], encodeMilliseconds: Double = 0, prepared: PreparedLLMRequest? = nil
        ) {
            self.result = result
            self.attempts = attempts
            self.encodeMilliseconds = encodeMilliseconds
            self.prepared = prepared
        }
    }

    public let configuration: Configuration
    public let provider: any LLMProvider
    let limiter: any LLMRateLimiter
    let concurrency: ConcurrencyLimit
    let breaker: Mutex<CircuitBreaker<ContinuousClock.Instant>>
    let clock = ContinuousClock()
    let logger: Logger

    public init(
        provider: any LLMProvider,
        limiter: any LLMRateLimiter = UnlimitedRateLimiter(),
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "vigil.llm")
    ) {
        self.provider = provider
        self.limiter = limiter
        self.configuration = configuration
        self.concurrency = ConcurrencyLimit(limit: max(1, configuration.maxConcurrentCalls))
        self.breaker = Mutex(CircuitBreaker(configuration: configuration.circuitBreaker))
        self.logger = logger
    }

    /// Whether the circuit breaker is currently sending alerts to the rule path.
    public var circuitOpen: Bool { breaker.withLock { $0.isOpen } }

    /// The most calls this worker ever had in flight at once.
    public var peakConcurrency: Int { concurrency.peak }

    /// Sends `request`, retrying as described above, each attempt bounded by `timeout` and all by `deadline`.
    /// - Parameter previous: the previous turn's ``Outcome/prepared`` when `request` continues that conversation:
    ///   what it encoded is reused (``LLMProvider/prepare(_:continuing:)``).
    public func complete(
        _ request: LLMRequest, continuing previous: PreparedLLMRequest? = nil, timeout: Duration, deadline: ContinuousClock.Instant
    ) async -> Outcome {
        let encodeStarted = clock.now
        let prepared = provider.prepare(request, continuing: previous)
        let encode = Self.milliseconds(encodeStarted.duration(to: clock.now))
        let name = provider.configuration.kind.rawValue
        var attempts: [Attempt] = []
        func outcome(_ result: Result<LLMResponse, LLMProviderError>) -> Outcome {
            Outcome(result: result, attempts: attempts, encodeMilliseconds: encode, prepared: prepared)
        }
        var backoff = configuration.initialBackoff
        while true {
            let result = await attempt(prepared, timeout: timeout, deadline: deadline)
            attempts.append(result.record)
            recordMetrics(result.result, result.record)
            let error: LLMProviderError
            switch result.result {
            case .success(let response): return outcome(.success(response))
            case .failure(let failure): error = failure
            }
            guard error.isRetryable, attempts.count < configuration.maxAttempts, !circuitOpen else {
                return outcome(.failure(error))
            }
            var wait = error.code == .rateLimited ? (error.retryAfter ?? backoff) : backoff
            if error.code != .rateLimited {
                // Full jitter in [wait/2, wait]: workers that failed together do not retry together.
                wait = wait / 2 + wait / 2 * Double.random(in: 0...1)
            }
            backoff = min(backoff * 2, configuration.maxBackoff)
            if error.code == .rateLimited { await limiter.pause(for: wait) }
            guard clock.now.advanced(by: wait) < deadline else { return outcome(.failure(error)) }
            logger.debug("llm call retry", metadata: ["provider": "\(name)", "error": "\(error.code)", "wait_ms": "\(wait)"])
            // After a 429 the limiter's pause also holds back every other worker.
            do { try await Task.sleep(for: wait, clock: clock) } catch {
                return outcome(.failure(LLMProviderError(.cancelled, provider: name)))
            }
        }
    }

    private func attempt(
        _ prepared: PreparedLLMRequest,
        timeout: Duration,
        deadline: ContinuousClock.Instant
    ) async -> (result: Result<LLMResponse, LLMProviderError>, record: Attempt) {
        let name = provider.configuration.kind.rawValue
        let started = clock.now
        var admitted: ContinuousClock.Instant?
        /// The record of an attempt that ended now; `sentAt` nil: it was never sent.
        func record(
            _ status: Int?, _ error: LLMProviderError.Code?, sentAt: ContinuousClock.Instant? = nil, wire: Duration? = nil,
            settle: Duration = .zero
        ) -> Attempt {
            let end = clock.now
            let sent = sentAt ?? end
            let admittedAt = admitted ?? sent
            let latency = Self.milliseconds(sent.duration(to: end))
            let settled = Self.milliseconds(settle)
            // Without a measured exchange (an error), everything but the settling counts as the wire's.
            let wired = wire.map(Self.milliseconds) ?? max(0, latency - settled)
            return Attempt(
                status: status,
                error: error?.description,
                latencyMilliseconds: latency,
                rateLimitWaitMilliseconds: Self.milliseconds(admittedAt.duration(to: sent)),
                concurrencyWaitMilliseconds: Self.milliseconds(started.duration(to: admittedAt)),
                wireMilliseconds: wired,
                decodeMilliseconds: wire == nil ? 0 : max(0, latency - wired - settled),
                settleMilliseconds: settled
            )
        }
        let decision = breaker.withLock { $0.acquire(now: clock.now) }
        if case .reject = decision {
            return (.failure(LLMProviderError(.circuitOpen, provider: name)), record(nil, .circuitOpen))
        }
        do {
            try await concurrency.acquire()
        } catch {
            breaker.withLock { $0.record(.neutral, now: clock.now) }
            return (.failure(LLMProviderError(.cancelled, provider: name)), record(nil, .cancelled))
        }
        defer { concurrency.release() }
        admitted = clock.now
        let permit: LLMRatePermit
        do {
            permit = try await limiter.acquire(inputTokens: prepared.estimatedInputTokens, maxOutputTokens: prepared.maxTokens, deadline: deadline)
        } catch {
            breaker.withLock { $0.record(.neutral, now: clock.now) }
            return (.failure(error), record(nil, error.code))
        }
        let sentAt = clock.now
        let remaining = sentAt.duration(to: deadline)
        guard remaining > .zero else {
            let settling = clock.now
            await limiter.finish(permit, usage: nil, rateLimit: RateLimitHeaders())
            let settle = settling.duration(to: clock.now)
            breaker.withLock { $0.record(.neutral, now: clock.now) }
            // Never sent: no time on the wire.
            return (
                .failure(LLMProviderError(.timeout, provider: name, detail: "deadline passed")),
                record(nil, .timeout, sentAt: sentAt, wire: .zero, settle: settle)
            )
        }
        do {
            let response = try await provider.send(prepared, timeout: min(timeout, remaining))
            let settling = clock.now
            await limiter.finish(permit, usage: response.usage, rateLimit: response.rateLimit)
            let settle = settling.duration(to: clock.now)
            breaker.withLock { $0.record(.success, now: clock.now) }
            return (.success(response), record(200, nil, sentAt: sentAt, wire: response.wireDuration, settle: settle))
        } catch {
            let settling = clock.now
            await limiter.finish(permit, usage: nil, rateLimit: error.rateLimit)
            let settle = settling.duration(to: clock.now)
            breaker.withLock { $0.record(error.indicatesOutage ? .failure : .neutral, now: clock.now) }
            return (.failure(error), record(error.status, error.code, sentAt: sentAt, settle: settle))
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}
