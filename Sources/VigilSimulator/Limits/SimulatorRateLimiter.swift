/// The simulator's RPM / ITPM / OTPM enforcement: three continuously refilling token buckets and a forced
/// storm, over an injected time in seconds.
///
/// A request is admitted when one request, its input tokens and at least one output token are available; its
/// request and input tokens are taken at admission and its output tokens after the reply is generated
/// (output is counted as generated, so a long answer delays the next admissions). A limit left nil is not
/// enforced and has no headers.
struct SimulatorRateLimiter: Sendable {
    private(set) var requests: TokenBucket?
    private(set) var inputTokens: TokenBucket?
    private(set) var outputTokens: TokenBucket?
    /// While `now < stormUntil`, every request is refused.
    private(set) var stormUntil: Double = -.infinity

    /// The state of one limit, for headers.
    struct LimitState: Sendable, Hashable {
        var limit: Int
        var remaining: Int
        var secondsUntilFull: Double
    }

    /// The state of every configured limit after a decision, for headers.
    struct Snapshot: Sendable, Hashable {
        var requests: LimitState?
        var inputTokens: LimitState?
        var outputTokens: LimitState?

        /// The more restrictive of the two token limits (fewer tokens remaining), as `anthropic-ratelimit-tokens-*`
        /// and `x-ratelimit-*-tokens` report it.
        var tokens: LimitState? {
            switch (inputTokens, outputTokens) {
            case (let i?, let o?): i.remaining <= o.remaining ? i : o
            case (let i?, nil): i
            case (nil, let o?): o
            case (nil, nil): nil
            }
        }
    }

    enum Decision: Sendable, Hashable {
        case admitted
        /// Refused; wait this many whole seconds (at least 1).
        case refused(retryAfterSeconds: Int, reason: String)
    }

    /// - Parameter burstSeconds: each bucket's capacity as seconds of refill (60: the whole per-minute limit).
    init(requestsPerMinute: Int?, inputTokensPerMinute: Int?, outputTokensPerMinute: Int?, burstSeconds: Double = 60, now: Double) {
        requests = requestsPerMinute.map { TokenBucket(perMinute: $0, burstSeconds: burstSeconds, now: now) }
        inputTokens = inputTokensPerMinute.map { TokenBucket(perMinute: $0, burstSeconds: burstSeconds, now: now) }
        outputTokens = outputTokensPerMinute.map { TokenBucket(perMinute: $0, burstSeconds: burstSeconds, now: now) }
    }

    private mutating func refill(at now: Double) {
        requests?.refill(at: now)
        inputTokens?.refill(at: now)
        outputTokens?.refill(at: now)
    }

    /// Admits a request of `inputTokens` tokens, or says how long to wait.
    mutating func admit(inputTokens cost: Int, at now: Double) -> Decision {
        refill(at: now)
        if now < stormUntil {
            return .refused(retryAfterSeconds: Self.wholeSeconds(stormUntil - now), reason: "rate limit storm in progress")
        }
        var wait = 0.0
        var reasons: [String] = []
        if let bucket = requests, bucket.secondsUntilAvailable(1) > 0 {
            wait = max(wait, bucket.secondsUntilAvailable(1))
            reasons.append("requests per minute")
        }
        if let bucket = inputTokens {
            let needed = bucket.secondsUntilAvailable(Double(cost))
            if needed.isInfinite {
                return .refused(retryAfterSeconds: 60, reason: "request's input tokens exceed the input token bucket's capacity")
            }
            if needed > 0 {
                wait = max(wait, needed)
                reasons.append("input tokens per minute")
            }
        }
        if let bucket = outputTokens, bucket.secondsUntilAvailable(1) > 0 {
            wait = max(wait, bucket.secondsUntilAvailable(1))
            reasons.append("output tokens per minute")
        }
        if !reasons.isEmpty {
            return .refused(retryAfterSeconds: Self.wholeSeconds(wait), reason: "exceeded " + reasons.joined(separator: " and "))
        }
        requests?.take(1)
        inputTokens?.take(Double(cost))
        return .admitted
    }

    /// Charges the output tokens of a generated reply.
    mutating func chargeOutput(_ tokens: Int, at now: Double) {
        refill(at: now)
        outputTokens?.take(Double(tokens))
    }

    /// Refuses every request until `now + seconds`.
    mutating func startStorm(seconds: Double, at now: Double) {
        stormUntil = now + seconds
    }

    /// Ends any storm and fills every bucket.
    mutating func reset(at now: Double) {
        stormUntil = -.infinity
        requests?.fill(at: now)
        inputTokens?.fill(at: now)
        outputTokens?.fill(at: now)
    }

    func snapshot(at now: Double) -> Snapshot {
        var copy = self
        copy.refill(at: now)
        func state(_ bucket: TokenBucket?) -> LimitState? {
            bucket.map { LimitState(limit: $0.limit, remaining: $0.remaining, secondsUntilFull: $0.secondsUntilFull) }
        }
        var snapshot = Snapshot(requests: state(copy.requests), inputTokens: state(copy.inputTokens), outputTokens: state(copy.outputTokens))
        if now < stormUntil, var r = snapshot.requests {
            r.remaining = 0
            r.secondsUntilFull = max(r.secondsUntilFull, stormUntil - now)
            snapshot.requests = r
        }
        return snapshot
    }

    /// Seconds rounded up, at least 1.
    static func wholeSeconds(_ seconds: Double) -> Int {
        guard seconds.isFinite else { return 60 }
        return max(1, Int(seconds.rounded(.up)))
    }
}
