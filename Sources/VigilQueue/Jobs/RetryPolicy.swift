import Foundation
import VigilCore

/// When failed jobs run again, and when they stop: exponential backoff with jitter, capped, and a maximum
/// number of attempts after which a job is dead-lettered.
///
/// The exponential delay of attempt `n` (1-based, the attempt that just failed) is
/// `min(maxDelay, baseDelay · multiplier^(n-1))`; jitter then spreads it (see ``Jitter``). The random source is
/// injected, so tests are deterministic.
public struct RetryPolicy: Sendable, Hashable {
    /// How a delay is randomised, after "Exponential Backoff and Jitter" (AWS Architecture Blog, 2015).
    public enum Jitter: Sendable, Hashable {
        /// The exponential delay exactly. For tests and single clients only: many workers retry in lockstep.
        case none
        /// Uniform in `0 … exponential` (default): the least contention, some retries almost at once.
        case full
        /// Uniform in `exponential/2 … exponential`: never less than half.
        case equal
        /// Uniform in `baseDelay … 3 · previous delay`, capped: needs the previous delay (the job row keeps
        /// it); without one, `baseDelay` is the previous delay.
        case decorrelated
    }

    /// Attempts in all, the first included, before a failing job is dead-lettered (default 5). Not secret.
    public var maxAttempts: Int
    /// The first retry's exponential delay (default 1 s). Not secret.
    public var baseDelay: Duration
    /// No delay is longer (default 5 min). Not secret.
    public var maxDelay: Duration
    /// Growth per attempt (default 2). Not secret.
    public var multiplier: Double
    /// Randomisation (default ``Jitter/full``). Not secret.
    public var jitter: Jitter

    public init(
        maxAttempts: Int = 5, baseDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(300), multiplier: Double = 2,
        jitter: Jitter = .full
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// - Throws: ``QueueConfigurationError`` naming the first invalid key.
    public func validate() throws(QueueConfigurationError) {
        guard maxAttempts >= 1 else { throw QueueConfigurationError(key: "maxAttempts", reason: "must be at least 1") }
        guard baseDelay > .zero else { throw QueueConfigurationError(key: "baseDelay", reason: "must be positive") }
        guard maxDelay >= baseDelay else { throw QueueConfigurationError(key: "maxDelay", reason: "must be at least baseDelay") }
        guard multiplier >= 1, multiplier.isFinite else {
            throw QueueConfigurationError(key: "multiplier", reason: "must be a finite number of at least 1")
        }
    }

    /// The un-jittered delay after failed attempt `attempt` (1-based): `min(maxDelay, baseDelay · multiplier^(attempt-1))`.
    public func exponentialDelay(afterAttempt attempt: Int) -> Duration {
        let exponent = Double(max(0, attempt - 1))
        let seconds = baseDelay.seconds * pow(multiplier, exponent)
        guard seconds.isFinite, seconds < maxDelay.seconds else { return maxDelay }
        return .nanoseconds(Int64(seconds * 1e9))
    }

    /// The delay before the next attempt after failed attempt `attempt`.
    ///
    /// - Parameters:
    ///   - attempt: the attempt that just failed, 1-based.
    ///   - previousDelay: the delay before that attempt, for ``Jitter/decorrelated``; nil for the first retry.
    ///   - generator: the random source.
    /// - Returns: a delay in `0 … maxDelay`.
    public func delay<G: RandomNumberGenerator>(afterAttempt attempt: Int, previousDelay: Duration? = nil, using generator: inout G)
        -> Duration
    {
        let exponential = exponentialDelay(afterAttempt: attempt).seconds
        let seconds: Double
        switch jitter {
        case .none:
            seconds = exponential
        case .full:
            seconds = Double.random(in: 0...exponential, using: &generator)
        case .equal:
            seconds = exponential / 2 + Double.random(in: 0...(exponential / 2), using: &generator)
        case .decorrelated:
            let base = baseDelay.seconds
            let upper = max(base, 3 * (previousDelay ?? baseDelay).seconds)
            seconds = min(maxDelay.seconds, Double.random(in: base...upper, using: &generator))
        }
        return .nanoseconds(Int64(min(seconds, maxDelay.seconds) * 1e9))
    }

    /// What to do with a job whose attempt `attempt` (1-based, counting this one) ended with `outcome`.
    ///
    /// `.retry` and `.fail` dead-letter when `attempt >= maxAttempts`, keeping the error; `.retry`'s own
    /// delay is capped at `maxDelay` (and at least zero).
    public func disposition<G: RandomNumberGenerator>(
        for outcome: JobOutcome, attempt: Int, previousDelay: Duration? = nil, using generator: inout G
    ) -> JobDisposition {
        switch outcome {
        case .complete:
            return .complete
        case .deadLetter(let error):
            return .deadLetter(error: error, attempts: attempt)
        case .retry(let after, let error):
            guard attempt < maxAttempts else { return .deadLetter(error: error, attempts: attempt) }
            return .retry(delay: min(max(after, .zero), maxDelay), error: error)
        case .fail(let error):
            guard attempt < maxAttempts else { return .deadLetter(error: error, attempts: attempt) }
            return .retry(delay: delay(afterAttempt: attempt, previousDelay: previousDelay, using: &generator), error: error)
        }
    }
}
