import Logging
import Synchronization
import VigilCore
import VigilPostgres

/// The cluster-wide rate limit of one (provider, model), kept as token buckets in the `llm_rate_limit` table
/// (migration 0004) and spent from a per-worker ``LocalPermitPool``.
///
/// Most calls are served from the pool with no database round trip. A round trip — one locked `UPDATE` — happens
/// when the pool runs short or its view is older than ``LocalPermitPool/Configuration/refreshInterval``; it refills
/// the buckets, applies the provider's latest `remaining` headers (they only ever lower a bucket), gives back excess
/// holdings, grants this worker's need plus a prefetch chunk when all three buckets allow it now — or the need alone
/// with a start time when they will allow it before the caller's deadline (the buckets go into debt and later callers
/// queue behind it, so a saturated limit costs one round trip per call, not a herd polling for each freed permit) —
/// and reads the cluster's pause. ``pause(for:)`` writes a 429's `retry-after` for every worker at once.
///
/// Because permits are deducted from the shared buckets when taken (not when spent), N workers together never start
/// more calls than the buckets allow, however their local pools are filled.
public final class PostgresRateLimiter: LLMRateLimiter {
    public struct Configuration: Sendable, Hashable {
        /// The provider name in the table (`anthropic`, `openai`).
        public var provider: String
        public var model: String
        /// The limits to enforce: set them at or a little below the provider's.
        public var limits: RateLimits
        /// Bucket capacity in seconds of refill, 1…60 (default 60, as Anthropic's buckets allow a minute's burst).
        public var burstSeconds: Double
        public var pool: LocalPermitPool<ContinuousClock.Instant>.Configuration

        public init(
            provider: String,
            model: String,
            limits: RateLimits,
            burstSeconds: Double = 60,
            pool: LocalPermitPool<ContinuousClock.Instant>.Configuration = .init()
        ) {
            self.provider = provider
            self.model = model
            self.limits = limits
            self.burstSeconds = burstSeconds
            self.pool = pool
        }
    }

    struct State {
        var pool: LocalPermitPool<ContinuousClock.Instant>
        /// The latest provider headers, applied on the next round trip.
        var observation: RateLimitHeaders?
        /// Calls admitted.
        var admitted = 0
    }

    public let configuration: Configuration
    let database: PostgresPool
    let logger: Logger
    let clock = ContinuousClock()
    let state: Mutex<State>
    /// Serialises this worker's round trips.
    let refreshLock = ConcurrencyLimit(limit: 1)

    /// Creates the limiter; call ``prepare()`` once before use.
    public init(configuration: Configuration, database: PostgresPool, logger: Logger = Logger(label: "vigil.llm.rate-limit")) {
        self.configuration = configuration
        self.database = database
        self.logger = logger
        self.state = Mutex(State(pool: LocalPermitPool(configuration: configuration.pool)))
    }

    /// Database round trips made and calls admitted, for tests and metrics.
    public var counters: (roundTrips: Int, calls: Int) { state.withLock { ($0.pool.refreshes, $0.admitted) } }

    /// Creates the buckets' row if it is missing (full) and applies the configured limits to it.
    /// - Throws: ``PostgresError``.
    public func prepare() async throws {
        let limits = configuration.limits
        try await database.query(
            Self.upsert,
            [
                configuration.provider, configuration.model, Double(limits.requestsPerMinute), Double(limits.inputTokensPerMinute),
                Double(limits.outputTokensPerMinute), configuration.burstSeconds,
            ]
        )
    }

    public func acquire(inputTokens: Int, maxOutputTokens: Int, deadline: ContinuousClock.Instant) async throws(LLMProviderError) -> LLMRatePermit {
        let permit = LLMRatePermit(inputTokens: max(0, inputTokens), outputTokens: max(0, maxOutputTokens))
        while true {
            if Task.isCancelled { throw LLMProviderError(.cancelled, provider: configuration.provider) }
            let now = clock.now
            let take = state.withLock { $0.pool.take(inputTokens: permit.inputTokens, maxOutputTokens: permit.outputTokens, now: now) }
            let waitUntil: ContinuousClock.Instant
            switch take {
            case .granted:
                state.withLock { $0.admitted += 1 }
                return permit
            case .paused(let until):
                waitUntil = until
            case .refresh:
                // One round trip per worker at a time; the others take again after it (it may have filled the pool).
                do { try await refreshLock.acquire() } catch { throw LLMProviderError(.cancelled, provider: configuration.provider) }
                let outcome: RefreshOutcome
                do {
                    outcome = try await refresh(permit, deadline: deadline)
                    refreshLock.release()
                } catch {
                    refreshLock.release()
                    throw error
                }
                switch outcome {
                case .granted:
                    state.withLock { $0.admitted += 1 }
                    return permit
                case .retry: continue
                case .wait(let until): waitUntil = until
                case .reserved(let usableAt):
                    try await waitForReservation(usableAt: usableAt, deadline: deadline)
                    state.withLock { $0.admitted += 1 }
                    return permit
                }
            }
            guard waitUntil <= deadline else {
                throw LLMProviderError(.rateLimitDeadline, provider: configuration.provider, detail: "limit frees up after the deadline")
            }
            do {
                try await Task.sleep(until: waitUntil, clock: clock)
            } catch {
                throw LLMProviderError(.cancelled, provider: configuration.provider)
            }
        }
    }

    enum RefreshOutcome {
        case granted
        case retry
        case wait(until: ContinuousClock.Instant)
        /// The database granted this call's permits for later: send at that instant, not before.
        case reserved(usableAt: ContinuousClock.Instant)
    }

    /// Sleeps until a reserved permit may be used, and then as long as the cluster is paused.
    func waitForReservation(usableAt: ContinuousClock.Instant, deadline: ContinuousClock.Instant) async throws(LLMProviderError) {
        var until = usableAt
        while true {
            do {
                try await Task.sleep(until: until, clock: clock)
            } catch {
                throw LLMProviderError(.cancelled, provider: configuration.provider)
            }
            guard let paused = state.withLock({ $0.pool.pausedUntil }), paused > clock.now else { return }
            guard paused <= deadline else {
                throw LLMProviderError(.rateLimitDeadline, provider: configuration.provider, detail: "paused past the deadline")
            }
            until = paused
        }
    }

    /// Under the refresh lock: takes again, and makes the round trip if the pool still cannot serve the call.
    ///
    /// When the buckets cannot serve the call now but will within the deadline, the database grants it at once with
    /// a start time (the buckets go into debt, so later callers queue behind it): one round trip per call however
    /// saturated the limit is, and no herd of workers polling for each freed permit.
    func refresh(_ permit: LLMRatePermit, deadline: ContinuousClock.Instant) async throws(LLMProviderError) -> RefreshOutcome {
        let now = clock.now
        let take = state.withLock { state -> LocalPermitPool<ContinuousClock.Instant>.Take in
            let take = state.pool.take(inputTokens: permit.inputTokens, maxOutputTokens: permit.outputTokens, now: now)
            if case .refresh(let request) = take { state.pool.beginRefresh(request) }
            return take
        }
        let request: LocalPermitPool<ContinuousClock.Instant>.RefreshRequest
        switch take {
        case .granted: return .granted
        case .paused(let until): return .wait(until: until)
        case .refresh(let r): request = r
        }
        let observation = state.withLock { state in
            defer { state.observation = nil }
            return state.observation
        }
        let answer: RoundTrip
        do {
            answer = try await roundTrip(request, observation: observation, maxWait: clock.now.duration(to: deadline).seconds)
        } catch let error as LLMProviderError {
            throw error
        } catch {
            logger.warning("llm rate limiter: database round trip failed", metadata: ["error": "\(error)"])
            throw LLMProviderError(.rateLimiterUnavailable, provider: configuration.provider, detail: "\(error)")
        }
        let after = clock.now
        state.withLock { state in
            state.pool.granted(answer.granted, pausedFor: answer.pausedFor, now: after)
            // A reservation is this call's alone: take it out of the pool now, before another task can.
            if answer.ok, answer.wait > .zero { state.pool.takeReserved(inputTokens: permit.inputTokens, maxOutputTokens: permit.outputTokens) }
        }
        if answer.ok { return answer.wait > .zero ? .reserved(usableAt: after.advanced(by: answer.wait)) : .retry }
        return .wait(until: after.advanced(by: max(answer.pausedFor, answer.wait, .milliseconds(5))))
    }

    public func finish(_ permit: LLMRatePermit, usage: LLMUsage?, rateLimit: RateLimitHeaders) async {
        state.withLock { state in
            state.pool.settle(
                reservedInput: permit.inputTokens,
                reservedOutput: permit.outputTokens,
                actualInput: usage?.totalInputTokens,
                actualOutput: usage?.outputTokens
            )
            if rateLimit.requests != nil || rateLimit.tokens != nil || rateLimit.inputTokens != nil || rateLimit.outputTokens != nil {
                state.observation = rateLimit
            }
        }
    }

    public func pause(for duration: Duration) async {
        let now = clock.now
        state.withLock { $0.pool.pause(until: now.advanced(by: duration)) }
        do {
            try await database.query(Self.pauseStatement, [configuration.provider, configuration.model, duration.seconds])
        } catch {
            logger.warning("llm rate limiter: could not record the pause for the cluster", metadata: ["error": "\(error)"])
        }
    }

    struct RoundTrip {
        var ok: Bool
        var granted: LocalPermitPool<ContinuousClock.Instant>.Amounts
        var pausedFor: Duration
        var wait: Duration
    }

    func roundTrip(
        _ request: LocalPermitPool<ContinuousClock.Instant>.RefreshRequest,
        observation: RateLimitHeaders?,
        maxWait: Double
    ) async throws -> RoundTrip {
        func remaining(_ observations: RateLimitObservation?...) -> Double? {
            observations.compactMap { $0?.remaining }.min().map(Double.init)
        }
        let parameters: [any PostgresEncodable] = [
            configuration.provider, configuration.model,
            request.need.requests, request.need.inputTokens, request.need.outputTokens,
            request.prefetch.requests, request.prefetch.inputTokens, request.prefetch.outputTokens,
            request.giveBack.requests, request.giveBack.inputTokens, request.giveBack.outputTokens,
            remaining(observation?.requests),
            remaining(observation?.inputTokens, observation?.tokens),
            remaining(observation?.outputTokens, observation?.tokens),
            max(0, maxWait),
        ]
        let rows = try await database.query(Self.takeStatement, parameters)
        guard let row = rows.first else {
            throw LLMProviderError(.rateLimiterUnavailable, provider: configuration.provider, detail: "no llm_rate_limit row: prepare() not called")
        }
        return RoundTrip(
            ok: try row.decode(Bool.self, column: "ok"),
            granted: .init(
                requests: try row.decode(Double.self, column: "granted_requests"),
                inputTokens: try row.decode(Double.self, column: "granted_input"),
                outputTokens: try row.decode(Double.self, column: "granted_output")
            ),
            pausedFor: Self.duration(seconds: try row.decode(Double.self, column: "paused_seconds")),
            wait: Self.duration(seconds: try row.decode(Double.self, column: "wait_seconds"))
        )
    }

    static func duration(seconds: Double) -> Duration {
        guard seconds.isFinite, seconds > 0 else { return .zero }
        return .microseconds((seconds * 1e6).rounded(.up))
    }

    static let upsert = """
        INSERT INTO llm_rate_limit (provider, model, requests_per_minute, input_tokens_per_minute, output_tokens_per_minute,
            burst_seconds, requests_available, input_tokens_available, output_tokens_available)
        VALUES ($1, $2, $3::float8, $4::float8, $5::float8, $6::float8, $3::float8 * $6::float8 / 60, $4::float8 * $6::float8 / 60,
            $5::float8 * $6::float8 / 60)
        ON CONFLICT (provider, model) DO UPDATE SET
            requests_per_minute = EXCLUDED.requests_per_minute,
            input_tokens_per_minute = EXCLUDED.input_tokens_per_minute,
            output_tokens_per_minute = EXCLUDED.output_tokens_per_minute,
            burst_seconds = EXCLUDED.burst_seconds
        """

    static let pauseStatement = """
        UPDATE llm_rate_limit
        SET paused_until = GREATEST(paused_until, now() + make_interval(secs => $3::float8)), pauses = pauses + 1
        WHERE provider = $1 AND model = $2
        """

    /// One round trip: refill, apply observed `remaining` (LEAST ignores NULLs) and give-backs; then, unless the
    /// cluster is paused, grant the need when every bucket can cover it within `$15` seconds — with the prefetch
    /// chunk when it is covered now, alone and into debt (with the wait as its start time) when it is covered later.
    /// A need above a bucket's capacity waits for a full bucket. Reports the pause and the wait.
    static let takeStatement = """
        WITH cur AS (
            SELECT *, GREATEST(0, EXTRACT(EPOCH FROM now() - refilled_at))::float8 AS elapsed
            FROM llm_rate_limit WHERE provider = $1 AND model = $2
            FOR UPDATE
        ), filled AS (
            SELECT provider, model, paused_until,
                requests_per_minute / 60 AS r_rate, input_tokens_per_minute / 60 AS i_rate, output_tokens_per_minute / 60 AS o_rate,
                requests_per_minute * burst_seconds / 60 AS r_cap,
                input_tokens_per_minute * burst_seconds / 60 AS i_cap,
                output_tokens_per_minute * burst_seconds / 60 AS o_cap,
                LEAST(requests_per_minute * burst_seconds / 60,
                    LEAST(requests_available + elapsed * requests_per_minute / 60, $12::float8) + $9::float8) AS r,
                LEAST(input_tokens_per_minute * burst_seconds / 60,
                    LEAST(input_tokens_available + elapsed * input_tokens_per_minute / 60, $13::float8) + $10::float8) AS i,
                LEAST(output_tokens_per_minute * burst_seconds / 60,
                    LEAST(output_tokens_available + elapsed * output_tokens_per_minute / 60, $14::float8) + $11::float8) AS o
            FROM cur
        ), decided AS (
            SELECT *,
                GREATEST(0, (LEAST($3::float8, r_cap) - r) / r_rate, (LEAST($4::float8, i_cap) - i) / i_rate,
                    (LEAST($5::float8, o_cap) - o) / o_rate)::float8 AS need_wait,
                (paused_until IS NULL OR paused_until <= now()) AS running
            FROM filled
        ), granted AS (
            SELECT *, running AND need_wait <= $15::float8 AS ok,
                CASE WHEN NOT (running AND need_wait <= $15::float8) THEN 0
                    WHEN need_wait = 0 THEN GREATEST($3::float8, LEAST(floor(r), $3::float8 + $6::float8)) ELSE $3::float8 END AS gr,
                CASE WHEN NOT (running AND need_wait <= $15::float8) THEN 0
                    WHEN need_wait = 0 THEN GREATEST($4::float8, LEAST(floor(i), $4::float8 + $7::float8)) ELSE $4::float8 END AS gi,
                CASE WHEN NOT (running AND need_wait <= $15::float8) THEN 0
                    WHEN need_wait = 0 THEN GREATEST($5::float8, LEAST(floor(o), $5::float8 + $8::float8)) ELSE $5::float8 END AS go
            FROM decided
        )
        UPDATE llm_rate_limit t SET
            requests_available = g.r - g.gr,
            input_tokens_available = g.i - g.gi,
            output_tokens_available = g.o - g.go,
            refilled_at = GREATEST(t.refilled_at, now()),
            requests_granted = t.requests_granted + g.gr::bigint
        FROM granted g
        WHERE t.provider = g.provider AND t.model = g.model
        RETURNING g.ok, g.gr AS granted_requests, g.gi AS granted_input, g.go AS granted_output,
            COALESCE(GREATEST(0, EXTRACT(EPOCH FROM g.paused_until - now()))::float8, 0) AS paused_seconds,
            g.need_wait AS wait_seconds
        """
}
