import Testing
import VigilCore
import VigilQueue

@Suite("Job outcomes and retry policy")
struct RetryPolicyTests {
    static let error = JobError(code: .transient, message: "database connection reset")

    @Test("exponential delays double from the base and stop at the cap")
    func exponential() {
        let policy = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(60))
        #expect((1...8).map { policy.exponentialDelay(afterAttempt: $0) } == [1, 2, 4, 8, 16, 32, 60, 60].map { .seconds($0) })
        #expect(policy.exponentialDelay(afterAttempt: 10_000) == .seconds(60))
        let triple = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(10), multiplier: 3)
        #expect(triple.exponentialDelay(afterAttempt: 3) == .milliseconds(900))
    }

    @Test("no jitter is the exponential delay exactly")
    func noJitter() {
        var rng = SplitMix64(seed: 1)
        let policy = RetryPolicy(baseDelay: .seconds(2), maxDelay: .seconds(30), jitter: .none)
        #expect(policy.delay(afterAttempt: 3, using: &rng) == .seconds(8))
    }

    @Test("full jitter spreads over 0 … exponential; equal jitter over half … exponential", arguments: [1, 3, 6, 20])
    func fullAndEqual(attempt: Int) {
        var rng = SplitMix64(seed: UInt64(attempt))
        let full = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(30), jitter: .full)
        let equal = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(30), jitter: .equal)
        let cap = full.exponentialDelay(afterAttempt: attempt)
        let fullDelays = (0..<2_000).map { _ in full.delay(afterAttempt: attempt, using: &rng) }
        let equalDelays = (0..<2_000).map { _ in equal.delay(afterAttempt: attempt, using: &rng) }
        #expect(fullDelays.allSatisfy { $0 >= .zero && $0 <= cap })
        #expect(equalDelays.allSatisfy { $0 >= cap / 2 && $0 <= cap })
        // Spread, not constant: both halves of the range are used.
        #expect(fullDelays.contains { $0 < cap / 4 } && fullDelays.contains { $0 > cap * 3 / 4 })
        #expect(equalDelays.contains { $0 < cap * 5 / 8 } && equalDelays.contains { $0 > cap * 7 / 8 })
    }

    @Test("decorrelated jitter stays within base … 3 × previous, capped, and grows from the previous delay")
    func decorrelated() {
        var rng = SplitMix64(seed: 5)
        let policy = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(20), jitter: .decorrelated)
        var previous: Duration? = nil
        var sawCap = false
        for attempt in 1...200 {
            let delay = policy.delay(afterAttempt: attempt, previousDelay: previous, using: &rng)
            let upper = min(.seconds(20), max(.seconds(1), (previous ?? .seconds(1)) * 3))
            #expect(delay >= .seconds(1) && delay <= upper, "attempt \(attempt): \(delay)")
            if delay > .seconds(15) { sawCap = true }
            previous = delay
        }
        #expect(sawCap)
    }

    @Test("the same seed gives the same delays: the random source is injected")
    func deterministic() {
        let policy = RetryPolicy()
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        #expect((1...5).map { policy.delay(afterAttempt: $0, using: &first) } == (1...5).map { policy.delay(afterAttempt: $0, using: &second) })
    }

    @Test("outcomes resolve to dispositions; attempts run out into the dead-letter table")
    func dispositions() {
        var rng = SplitMix64(seed: 9)
        let policy = RetryPolicy(maxAttempts: 3, baseDelay: .seconds(1), maxDelay: .seconds(60), jitter: .none)
        #expect(policy.disposition(for: .complete, attempt: 1, using: &rng) == .complete)
        #expect(policy.disposition(for: .complete, attempt: 3, using: &rng) == .complete)
        #expect(policy.disposition(for: .fail(Self.error), attempt: 1, using: &rng) == .retry(delay: .seconds(1), error: Self.error))
        #expect(policy.disposition(for: .fail(Self.error), attempt: 2, using: &rng) == .retry(delay: .seconds(2), error: Self.error))
        #expect(policy.disposition(for: .fail(Self.error), attempt: 3, using: &rng) == .deadLetter(error: Self.error, attempts: 3))
        #expect(policy.disposition(for: .fail(Self.error), attempt: 7, using: &rng) == .deadLetter(error: Self.error, attempts: 7))
        // An explicit retry keeps its own delay, capped, and still counts as an attempt.
        #expect(policy.disposition(for: .retry(after: .seconds(5), error: Self.error), attempt: 1, using: &rng)
            == .retry(delay: .seconds(5), error: Self.error))
        #expect(policy.disposition(for: .retry(after: .seconds(500), error: Self.error), attempt: 1, using: &rng)
            == .retry(delay: .seconds(60), error: Self.error))
        #expect(policy.disposition(for: .retry(after: .seconds(-3), error: Self.error), attempt: 1, using: &rng)
            == .retry(delay: .zero, error: Self.error))
        #expect(policy.disposition(for: .retry(after: .seconds(5), error: Self.error), attempt: 3, using: &rng)
            == .deadLetter(error: Self.error, attempts: 3))
        // A permanent failure dead-letters at once, keeping the error.
        let invalid = JobError(code: .invalidInput, message: "alert has no payload object")
        #expect(policy.disposition(for: .deadLetter(invalid), attempt: 1, using: &rng) == .deadLetter(error: invalid, attempts: 1))
    }

    @Test("a job that always fails is tried exactly maxAttempts times, with growing delays, then dead-lettered")
    func lifecycle() {
        var rng = SplitMix64(seed: 3)
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .seconds(1), maxDelay: .seconds(10), jitter: .equal)
        var attempt = 0
        var delays: [Duration] = []
        var final: JobDisposition?
        while final == nil {
            attempt += 1
            switch policy.disposition(for: .fail(Self.error), attempt: attempt, previousDelay: delays.last, using: &rng) {
            case .retry(let delay, _): delays.append(delay)
            case let other: final = other
            }
        }
        #expect(attempt == 5)
        #expect(final == .deadLetter(error: Self.error, attempts: 5))
        #expect(delays.count == 4)
        for (index, delay) in delays.enumerated() {
            let exponential = policy.exponentialDelay(afterAttempt: index + 1)
            #expect(delay >= exponential / 2 && delay <= exponential)
        }
    }

    @Test("configuration is validated")
    func configuration() {
        let invalid = [
            RetryPolicy(maxAttempts: 0), RetryPolicy(baseDelay: .zero), RetryPolicy(baseDelay: .seconds(10), maxDelay: .seconds(5)),
            RetryPolicy(multiplier: 0.5), RetryPolicy(multiplier: .infinity),
        ]
        for policy in invalid {
            #expect(throws: QueueConfigurationError.self) { try policy.validate() }
        }
        #expect(throws: Never.self) { try RetryPolicy().validate() }
    }

    @Test("a job error's description is its code and message only")
    func errorDescription() {
        #expect(Self.error.description == "transient: database connection reset")
        #expect(JobError.Code(rawValue: "llm_refused") != .transient)
    }
}
