/// The limits of one (provider, model): requests, input tokens and output tokens per minute.
public struct RateLimits: Sendable, Hashable, Codable {
    public var requestsPerMinute: Int
    public var inputTokensPerMinute: Int
    public var outputTokensPerMinute: Int

    public init(requestsPerMinute: Int, inputTokensPerMinute: Int, outputTokensPerMinute: Int) {
        self.requestsPerMinute = requestsPerMinute
        self.inputTokensPerMinute = inputTokensPerMinute
        self.outputTokensPerMinute = outputTokensPerMinute
    }
}

/// What a provider's rate-limit headers said about one limit.
public struct RateLimitObservation: Sendable, Hashable {
    public var limit: Int?
    public var remaining: Int?
    /// How long until the limit is fully replenished.
    public var resetIn: Duration?

    public init(limit: Int? = nil, remaining: Int? = nil, resetIn: Duration? = nil) {
        self.limit = limit
        self.remaining = remaining
        self.resetIn = resetIn
    }

    var isEmpty: Bool { limit == nil && remaining == nil && resetIn == nil }
}

/// The arithmetic of a cluster's LLM rate limit: three token buckets and a cluster-wide pause.
///
/// A call first ``reserve(estimatedInputTokens:maxOutputTokens:now:)``s one request, its estimated input tokens and
/// its whole `max_tokens` against output (the most it can use); after the response it ``reconcile(_:actualInputTokens:actualOutputTokens:)``s
/// with the usage the provider reported, refunding unused output and charging any input underestimate. A 429's
/// `retry-after` ``pause(for:now:)``s every caller. Pure: the PostgreSQL-backed limiter stores this state and
/// applies these functions inside its transactions.
public struct RateLimiterState<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    public private(set) var requests: TokenBucket<Instant>
    public private(set) var inputTokens: TokenBucket<Instant>
    public private(set) var outputTokens: TokenBucket<Instant>
    /// No call may start before this (set by a 429's `retry-after`).
    public private(set) var pausedUntil: Instant?

    /// What one admitted call holds until it is reconciled or cancelled.
    public struct Reservation: Sendable, Hashable {
        public var inputTokens: Int
        public var outputTokens: Int
    }

    public enum Admission: Sendable, Hashable {
        /// Go ahead; reconcile or cancel the reservation afterwards.
        case admitted(Reservation)
        /// Nothing was taken; try again after this long.
        case wait(Duration)
    }

    public init(limits: RateLimits, now: Instant) {
        requests = TokenBucket(perMinute: limits.requestsPerMinute, now: now)
        inputTokens = TokenBucket(perMinute: limits.inputTokensPerMinute, now: now)
        outputTokens = TokenBucket(perMinute: limits.outputTokensPerMinute, now: now)
    }

    /// Takes one request, `estimatedInputTokens` and `maxOutputTokens` together, or nothing.
    public mutating func reserve(estimatedInputTokens: Int, maxOutputTokens: Int, now: Instant) -> Admission {
        if let pausedUntil, now < pausedUntil { return .wait(now.duration(to: pausedUntil)) }
        let input = Double(max(0, estimatedInputTokens))
        let output = Double(max(0, maxOutputTokens))
        let wait = max(requests.wait(for: 1, now: now), inputTokens.wait(for: input, now: now), outputTokens.wait(for: output, now: now))
        guard wait == .zero else { return .wait(wait) }
        let tookRequest = requests.take(1, now: now)
        let tookInput = inputTokens.take(input, now: now)
        let tookOutput = outputTokens.take(output, now: now)
        precondition(tookRequest && tookInput && tookOutput, "wait() said zero but take() failed")
        return .admitted(Reservation(inputTokens: Int(input), outputTokens: Int(output)))
    }

    /// Settles a reservation with the usage the provider reported.
    public mutating func reconcile(_ reservation: Reservation, actualInputTokens: Int, actualOutputTokens: Int) {
        settle(&inputTokens, reserved: reservation.inputTokens, actual: actualInputTokens)
        settle(&outputTokens, reserved: reservation.outputTokens, actual: actualOutputTokens)
    }

    private func settle(_ bucket: inout TokenBucket<Instant>, reserved: Int, actual: Int) {
        let difference = Double(reserved) - Double(max(0, actual))
        if difference > 0 { bucket.refund(difference) } else { bucket.charge(-difference) }
    }

    /// Returns everything a reservation took, for a call that was never sent.
    public mutating func cancel(_ reservation: Reservation) {
        requests.refund(1)
        inputTokens.refund(Double(reservation.inputTokens))
        outputTokens.refund(Double(reservation.outputTokens))
    }

    /// Pauses every caller for `retryAfter` from `now` (a 429). A later pause never shortens an earlier one.
    public mutating func pause(for retryAfter: Duration, now: Instant) {
        let until = now.advanced(by: max(retryAfter, .zero))
        if let pausedUntil, pausedUntil >= until { return }
        pausedUntil = until
    }

    /// Corrects the buckets from the provider's headers (absent observations change nothing).
    public mutating func observe(
        requests: RateLimitObservation?,
        inputTokens: RateLimitObservation?,
        outputTokens: RateLimitObservation?,
        now: Instant
    ) {
        if let requests { self.requests.observe(limit: requests.limit, remaining: requests.remaining, resetIn: requests.resetIn, now: now) }
        if let inputTokens {
            self.inputTokens.observe(limit: inputTokens.limit, remaining: inputTokens.remaining, resetIn: inputTokens.resetIn, now: now)
        }
        if let outputTokens {
            self.outputTokens.observe(limit: outputTokens.limit, remaining: outputTokens.remaining, resetIn: outputTokens.resetIn, now: now)
        }
    }

    /// Applies parsed headers: each limit to its bucket; a combined token limit caps both token buckets (input and
    /// output together cannot exceed it, so neither can alone), its `limit` is not applied to either; `retry-after`
    /// pauses every caller.
    public mutating func observe(_ headers: RateLimitHeaders, now: Instant) {
        let combined = headers.tokens.map { RateLimitObservation(remaining: $0.remaining, resetIn: $0.resetIn) }
        observe(requests: headers.requests, inputTokens: headers.inputTokens, outputTokens: headers.outputTokens, now: now)
        if let combined, !combined.isEmpty { observe(requests: nil, inputTokens: combined, outputTokens: combined, now: now) }
        if let retryAfter = headers.retryAfter { pause(for: retryAfter, now: now) }
    }
}
