import Testing

@testable import VigilCore

/// A hand-driven instant: tests move time explicitly, nothing reads a real clock.
struct ManualInstant: InstantProtocol, Sendable {
    var offset: Duration
    static let zero = ManualInstant(offset: .zero)
    func advanced(by duration: Duration) -> ManualInstant { ManualInstant(offset: offset + duration) }
    func duration(to other: ManualInstant) -> Duration { other.offset - offset }
    static func < (lhs: ManualInstant, rhs: ManualInstant) -> Bool { lhs.offset < rhs.offset }
}

func at(_ seconds: Double) -> ManualInstant { ManualInstant(offset: .milliseconds(Int64((seconds * 1000).rounded()))) }

@Suite struct TokenBucketTests {
    @Test func startsFullAndRefillsContinuouslyUpToCapacity() {
        var bucket = TokenBucket(perMinute: 60, now: at(0))
        #expect(bucket.available == 60)
        let result1 = bucket.take(60, now: at(0))
        #expect(result1)
        let result2 = bucket.take(1, now: at(0.5))
        #expect(!result2)
        let result3 = bucket.take(1, now: at(1))
        #expect(result3)
        bucket.refill(now: at(600))
        #expect(bucket.available == 60)
    }

    @Test func takeIsAllOrNothing() {
        var bucket = TokenBucket(perMinute: 100, now: at(0))
        let result4 = bucket.take(70, now: at(0))
        #expect(result4)
        let result5 = bucket.take(31, now: at(0))
        #expect(!result5)
        #expect(bucket.available == 30)
    }

    @Test func waitSaysExactlyWhenEnoughHasAccrued() {
        var bucket = TokenBucket(perMinute: 600, now: at(0), full: false)  // 10 per second
        #expect(bucket.wait(for: 25, now: at(0)) == .milliseconds(2500))
        let result6 = bucket.take(25, now: at(2.4))
        #expect(!result6)
        #expect(bucket.wait(for: 25, now: at(2.4)) == .milliseconds(100))
        let result7 = bucket.take(25, now: at(2.5))
        #expect(result7)
        #expect(bucket.wait(for: 0, now: at(2.5)) == .zero)
    }

    @Test func oversizedRequestsWaitForAFullBucketThenGoIntoDebt() {
        var bucket = TokenBucket(perMinute: 60, now: at(0))
        let result8 = bucket.take(90, now: at(0))
        #expect(result8)
        #expect(bucket.available == -30)
        #expect(bucket.wait(for: 90, now: at(0)) == .seconds(90))
        let result9 = bucket.take(90, now: at(89))
        #expect(!result9)
        let result10 = bucket.take(90, now: at(90))
        #expect(result10)
    }

    @Test func chunkedTakeGrantsWholeTokensUpToWhatIsThere() {
        var bucket = TokenBucket(perMinute: 60, now: at(0), full: false)
        let result11 = bucket.take(upTo: 10, now: at(2.5))
        #expect(result11 == 2)
        let result12 = bucket.take(upTo: 10, now: at(2.5))
        #expect(result12 == 0)
        let result13 = bucket.take(upTo: 10, now: at(60))
        #expect(result13 == 10)
    }

    @Test func refundChargeAndObserve() {
        var bucket = TokenBucket(perMinute: 1000, now: at(0))
        let result14 = bucket.take(800, now: at(0))
        #expect(result14)
        bucket.refund(300)
        #expect(bucket.available == 500)
        bucket.refund(10_000)
        #expect(bucket.available == 1000)
        bucket.charge(1200)
        #expect(bucket.available == -200)
        // The provider's remaining caps ours; a lower reported limit lowers capacity, a higher one does not raise it.
        var observed = TokenBucket(perMinute: 1000, now: at(0))
        observed.observe(limit: 2000, remaining: 400, now: at(0))
        #expect(observed.available == 400 && observed.capacity == 1000)
        observed.observe(limit: 500, remaining: 450, now: at(0))
        #expect(observed.capacity == 500 && observed.available == 400)
        observed.observe(limit: nil, remaining: -5, now: at(0))
        #expect(observed.available == 0)
    }

    @Test func timeGoingBackwardsChangesNothing() {
        var bucket = TokenBucket(perMinute: 60, now: at(10), full: false)
        bucket.refill(now: at(5))
        #expect(bucket.available == 0)
        #expect(bucket.updatedAt == at(10))
    }
}

@Suite struct RateLimiterStateTests {
    let limits = RateLimits(requestsPerMinute: 60, inputTokensPerMinute: 60_000, outputTokensPerMinute: 12_000)

    @Test func reserveTakesAllThreeOrNothing() throws {
        var state = RateLimiterState(limits: limits, now: at(0))
        guard case .admitted(let reservation) = state.reserve(estimatedInputTokens: 2_000, maxOutputTokens: 4_000, now: at(0)) else {
            Issue.record("expected admission")
            return
        }
        #expect(reservation == .init(inputTokens: 2_000, outputTokens: 4_000))
        #expect(state.requests.available == 59 && state.inputTokens.available == 58_000 && state.outputTokens.available == 8_000)
        // Output is short: nothing is taken, and the wait is the output bucket's.
        _ = state.reserve(estimatedInputTokens: 1, maxOutputTokens: 8_000, now: at(0))
        let before = (state.requests.available, state.inputTokens.available, state.outputTokens.available)
        let result15 = state.reserve(estimatedInputTokens: 1, maxOutputTokens: 4_000, now: at(0))
        #expect(result15 == .wait(.seconds(20)))
        #expect((state.requests.available, state.inputTokens.available, state.outputTokens.available) == before)
    }

    @Test func reconcileRefundsUnusedOutputAndChargesUnderestimatedInput() {
        var state = RateLimiterState(limits: limits, now: at(0))
        guard case .admitted(let reservation) = state.reserve(estimatedInputTokens: 1_000, maxOutputTokens: 4_000, now: at(0)) else {
            Issue.record("expected admission")
            return
        }
        state.reconcile(reservation, actualInputTokens: 1_500, actualOutputTokens: 350)
        #expect(state.inputTokens.available == 58_500)
        #expect(state.outputTokens.available == 11_650)
    }

    @Test func cancelReturnsEverything() {
        var state = RateLimiterState(limits: limits, now: at(0))
        guard case .admitted(let reservation) = state.reserve(estimatedInputTokens: 1_000, maxOutputTokens: 4_000, now: at(0)) else {
            Issue.record("expected admission")
            return
        }
        state.cancel(reservation)
        #expect(state.requests.available == 60 && state.inputTokens.available == 60_000 && state.outputTokens.available == 12_000)
    }

    @Test func a429PausesEveryCallerAndLaterPausesNeverShortenIt() {
        var state = RateLimiterState(limits: limits, now: at(0))
        state.pause(for: .seconds(30), now: at(10))
        let result16 = state.reserve(estimatedInputTokens: 1, maxOutputTokens: 1, now: at(15))
        #expect(result16 == .wait(.seconds(25)))
        state.pause(for: .seconds(5), now: at(20))
        #expect(state.pausedUntil == at(40))
        state.pause(for: .seconds(30), now: at(20))
        #expect(state.pausedUntil == at(50))
        let result17 = state.reserve(estimatedInputTokens: 1, maxOutputTokens: 1, now: at(49.9))
        #expect(result17 == .wait(.milliseconds(100)))
        if case .admitted = state.reserve(estimatedInputTokens: 1, maxOutputTokens: 1, now: at(50)) {
        } else {
            Issue.record("not admitted after pause")
        }
    }

    @Test func headersCorrectTheBuckets() {
        var state = RateLimiterState(limits: limits, now: at(0))
        state.observe(requests: .init(limit: 50, remaining: 3), inputTokens: nil, outputTokens: .init(remaining: 1_000), now: at(0))
        #expect(state.requests.capacity == 50 && state.requests.available == 3)
        #expect(state.inputTokens.available == 60_000)
        #expect(state.outputTokens.available == 1_000)
    }

    /// Many callers sharing one state never exceed the limit over any minute, whatever they ask for.
    @Test func sustainedLoadStaysUnderTheLimit() {
        var state = RateLimiterState(
            limits: RateLimits(requestsPerMinute: 600, inputTokensPerMinute: 1_000_000, outputTokensPerMinute: 1_000_000),
            now: at(0)
        )
        var random = SeededRandom(seed: 7)
        var admittedAt: [Double] = []
        var now = 0.0
        while now < 600 {
            if case .admitted = state.reserve(estimatedInputTokens: Int(random.next() % 2_000), maxOutputTokens: 500, now: at(now)) {
                admittedAt.append(now)
            }
            now += Double(random.next() % 40) / 1000  // a request attempt every 0–40 ms
        }
        // Any 60-second window holds at most the limit plus the initial burst (the bucket starts full).
        var start = 0
        var worst = 0
        for end in admittedAt.indices {
            while admittedAt[end] - admittedAt[start] >= 60 { start += 1 }
            if admittedAt[start] >= 60 { worst = max(worst, end - start + 1) }
        }
        #expect(worst <= 601)
        // And the limit is used: over the 9 minutes after the first, close to 600 a minute are admitted.
        let steady = admittedAt.filter { $0 >= 60 }.count
        #expect(steady >= 5_300 && steady <= 5_401)
    }
}

@Suite struct CircuitBreakerTests {
    typealias Breaker = CircuitBreaker<ManualInstant>
    let configuration = Breaker.Configuration(failureThreshold: 3, openDuration: .seconds(10), maxOpenDuration: .seconds(35))

    @Test func opensAfterConsecutiveFailuresOnly() {
        var breaker = Breaker(configuration: configuration)
        for outcome in [Breaker.Outcome.failure, .failure, .success, .failure, .failure, .neutral] {
            let result18 = breaker.acquire(now: at(0))
            #expect(result18 == .allow)
            breaker.record(outcome, now: at(0))
        }
        #expect(breaker.state == .closed(consecutiveFailures: 2))
        breaker.record(.failure, now: at(1))
        #expect(breaker.state == .open(until: at(11), trips: 1))
        #expect(breaker.isOpen)
        let result19 = breaker.acquire(now: at(5))
        #expect(result19 == .reject(retryAt: at(11)))
    }

    @Test func halfOpenAllowsOneProbeAndASuccessCloses() {
        var breaker = Breaker(configuration: configuration)
        for _ in 0..<3 { breaker.record(.failure, now: at(0)) }
        let result20 = breaker.acquire(now: at(10))
        #expect(result20 == .probe)
        let result21 = breaker.acquire(now: at(10.5))
        #expect(result21 == .reject(retryAt: at(11.5)))
        breaker.record(.success, now: at(11))
        #expect(breaker.state == .closed(consecutiveFailures: 0))
        let result22 = breaker.acquire(now: at(11))
        #expect(result22 == .allow)
    }

    @Test func aFailedProbeReopensWithDoublingCooldownUpToTheMaximum() {
        var breaker = Breaker(configuration: configuration)
        for _ in 0..<3 { breaker.record(.failure, now: at(0)) }
        var now = 10.0
        var cooldowns: [Double] = []
        for _ in 0..<4 {
            let result23 = breaker.acquire(now: at(now))
            #expect(result23 == .probe)
            breaker.record(.failure, now: at(now))
            guard case .open(let until, _) = breaker.state else {
                Issue.record("expected open")
                return
            }
            let cooldown = Double(until.offset.components.seconds) - now
            cooldowns.append(cooldown)
            now += cooldown
        }
        #expect(cooldowns == [20, 35, 35, 35])
    }

    @Test func aNeutralProbeFreesTheSlot() {
        var breaker = Breaker(configuration: configuration)
        for _ in 0..<3 { breaker.record(.failure, now: at(0)) }
        let result24 = breaker.acquire(now: at(10))
        #expect(result24 == .probe)
        breaker.record(.neutral, now: at(10))
        #expect(breaker.state == .halfOpen(probeInFlight: false, trips: 1))
        let result25 = breaker.acquire(now: at(10))
        #expect(result25 == .probe)
    }

    @Test func lateResultsWhileOpenChangeNothing() {
        var breaker = Breaker(configuration: configuration)
        for _ in 0..<3 { breaker.record(.failure, now: at(0)) }
        breaker.record(.success, now: at(1))
        breaker.record(.failure, now: at(2))
        #expect(breaker.state == .open(until: at(10), trips: 1))
    }

    @Test(arguments: [
        (200, Breaker.Outcome.success), (204, .success), (500, .failure), (502, .failure), (503, .failure), (504, .failure),
        (529, .failure), (400, .neutral), (401, .neutral), (404, .neutral), (413, .neutral), (429, .neutral),
    ])
    func httpStatusOutcomes(_ status: Int, _ outcome: Breaker.Outcome) {
        #expect(Breaker.Outcome(httpStatus: status) == outcome)
    }
}
