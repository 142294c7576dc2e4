/// A circuit breaker for the LLM provider: after consecutive overloads or server errors (529, 5xx, timeouts) it
/// opens and the worker sends alerts to the rule path; after a cool-down one probe call tests the provider.
///
/// Pure state machine with the time passed in, so every transition is a deterministic unit test.
/// `closed` → (``Configuration/failureThreshold`` consecutive failures) → `open` → (cool-down over, next
/// ``acquire(now:)``) → `halfOpen` → probe success → `closed`; probe failure → `open` again, each cool-down twice
/// the previous one up to ``Configuration/maxOpenDuration``.
public struct CircuitBreaker<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    public struct Configuration: Sendable, Hashable {
        /// Consecutive failures that open the breaker (default 5).
        public var failureThreshold: Int
        /// First cool-down (default 30 s).
        public var openDuration: Duration
        /// Longest cool-down (default 5 min).
        public var maxOpenDuration: Duration
        /// While a probe is in flight, how long other callers are told to wait (default 1 s).
        public var probeRetryInterval: Duration

        public init(
            failureThreshold: Int = 5,
            openDuration: Duration = .seconds(30),
            maxOpenDuration: Duration = .seconds(300),
            probeRetryInterval: Duration = .seconds(1)
        ) {
            precondition(failureThreshold > 0, "failureThreshold must be positive")
            self.failureThreshold = failureThreshold
            self.openDuration = openDuration
            self.maxOpenDuration = maxOpenDuration
            self.probeRetryInterval = probeRetryInterval
        }
    }

    public enum State: Sendable, Hashable {
        case closed(consecutiveFailures: Int)
        /// `trips`: how many times in a row it has opened (sets the cool-down).
        case open(until: Instant, trips: Int)
        case halfOpen(probeInFlight: Bool, trips: Int)
    }

    public enum Decision: Sendable, Hashable {
        /// Call the provider.
        case allow
        /// Call the provider: this call is the probe that decides whether the breaker closes.
        case probe
        /// Do not call the provider (use the rule path); it may be tried again at `retryAt`.
        case reject(retryAt: Instant)
    }

    /// How a call ended, for the breaker.
    public enum Outcome: Sendable, Hashable {
        case success
        /// Overload, server error or timeout: counts towards opening.
        case failure
        /// Neither (a 4xx, a 429 handled by the rate limiter, a cancelled call): changes no count.
        case neutral

        /// 2xx success; 529 and 5xx failure; everything else neutral.
        public init(httpStatus: Int) {
            switch httpStatus {
            case 200..<300: self = .success
            case 500..<600: self = .failure
            default: self = .neutral
            }
        }
    }

    public let configuration: Configuration
    public private(set) var state: State = .closed(consecutiveFailures: 0)

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Whether a call may go to the provider now.
    public mutating func acquire(now: Instant) -> Decision {
        switch state {
        case .closed:
            return .allow
        case .open(let until, let trips):
            guard now >= until else { return .reject(retryAt: until) }
            state = .halfOpen(probeInFlight: true, trips: trips)
            return .probe
        case .halfOpen(let probeInFlight, let trips):
            if probeInFlight { return .reject(retryAt: now.advanced(by: configuration.probeRetryInterval)) }
            state = .halfOpen(probeInFlight: true, trips: trips)
            return .probe
        }
    }

    /// Records how a call that ``acquire(now:)`` allowed ended.
    public mutating func record(_ outcome: Outcome, now: Instant) {
        switch (state, outcome) {
        case (.closed, .success):
            state = .closed(consecutiveFailures: 0)
        case (.closed(let failures), .failure):
            if failures + 1 >= configuration.failureThreshold {
                state = .open(until: now.advanced(by: cooldown(trips: 1)), trips: 1)
            } else {
                state = .closed(consecutiveFailures: failures + 1)
            }
        case (.halfOpen, .success):
            state = .closed(consecutiveFailures: 0)
        case (.halfOpen(_, let trips), .failure):
            state = .open(until: now.advanced(by: cooldown(trips: trips + 1)), trips: trips + 1)
        case (.halfOpen(_, let trips), .neutral):
            state = .halfOpen(probeInFlight: false, trips: trips)
        case (.closed, .neutral), (.open, _):
            // Late results of calls started before the breaker opened change nothing.
            break
        }
    }

    /// Whether calls currently go to the rule path instead.
    public var isOpen: Bool {
        if case .closed = state { return false }
        return true
    }

    func cooldown(trips: Int) -> Duration {
        var duration = configuration.openDuration
        for _ in 1..<max(1, trips) {
            duration = duration * 2
            if duration >= configuration.maxOpenDuration { return configuration.maxOpenDuration }
        }
        return min(duration, configuration.maxOpenDuration)
    }
}
