import VigilCore

/// Admits model calls under a rate limit shared by every worker of the cluster.
///
/// Lifecycle of one call: ``acquire(inputTokens:maxOutputTokens:deadline:)`` before sending (reserving the estimated
/// input and the whole `max_tokens` against output), then exactly one ``finish(_:usage:rateLimit:)`` with the usage
/// the provider reported (nil when the call was not served), and ``pause(for:)`` on a 429.
public protocol LLMRateLimiter: Sendable {
    /// Waits until one call may start.
    /// - Throws: ``LLMProviderError`` `.rateLimitDeadline` when it could not start before `deadline`, `.cancelled`.
    func acquire(inputTokens: Int, maxOutputTokens: Int, deadline: ContinuousClock.Instant) async throws(LLMProviderError) -> LLMRatePermit
    /// Settles a permit: refunds what the call did not use, charges what it used beyond the estimate, and corrects
    /// the buckets from the provider's headers.
    func finish(_ permit: LLMRatePermit, usage: LLMUsage?, rateLimit: RateLimitHeaders) async
    /// Stops every worker from starting calls for `duration` (a 429's `retry-after`).
    func pause(for duration: Duration) async
}

/// What one admitted call holds until it is finished.
public struct LLMRatePermit: Sendable, Hashable {
    public var inputTokens: Int
    public var outputTokens: Int

    public init(inputTokens: Int, outputTokens: Int) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }
}

/// No limit: for providers without one (a local server) and for tests of other parts.
public struct UnlimitedRateLimiter: LLMRateLimiter {
    public init() {}
    public func acquire(inputTokens: Int, maxOutputTokens: Int, deadline: ContinuousClock.Instant) async throws(LLMProviderError) -> LLMRatePermit {
        LLMRatePermit(inputTokens: inputTokens, outputTokens: maxOutputTokens)
    }
    public func finish(_ permit: LLMRatePermit, usage: LLMUsage?, rateLimit: RateLimitHeaders) async {}
    public func pause(for duration: Duration) async {}
}
