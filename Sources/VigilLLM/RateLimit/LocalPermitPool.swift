import VigilCore

/// The permits one worker holds between round trips to the cluster's buckets: the arithmetic of chunked leasing.
///
/// Pure, with the time passed in. The worker asks ``take(inputTokens:maxOutputTokens:now:)``; when the pool cannot
/// serve the call, or its view of the cluster (pause, header corrections) is older than
/// ``Configuration/refreshInterval``, the answer is ``Take/refresh(_:)`` with what to ask the database for: the
/// shortfall of this call plus a prefetch chunk, and any excess to give back; ``beginRefresh(_:)`` starts it and
/// ``granted(_:pausedFor:now:)`` records the database's answer. Permits taken from the database are counted against the limit when taken, so spending
/// them later never exceeds it.
public struct LocalPermitPool<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    public struct Configuration: Sendable, Hashable {
        /// Requests taken beyond the current call's need on a round trip (default 3). Permits held by workers may reach
        /// the provider later than they were taken, so leave the provider's bucket a margin of about
        /// workers × (1 + this) requests.
        public var prefetchRequests: Int
        /// How many calls' worth of tokens (the current call's size) a round trip takes beyond the need (default 3).
        public var prefetchCalls: Int
        /// Longest time the pool trusts its view of the cluster without a round trip (default 2 s): how late a worker
        /// may learn of another's 429 pause.
        public var refreshInterval: Duration
        /// Holdings above this many calls' worth are given back on the next round trip (default 4).
        public var maxHeldCalls: Int

        public init(prefetchRequests: Int = 3, prefetchCalls: Int = 3, refreshInterval: Duration = .seconds(2), maxHeldCalls: Int = 4) {
            self.prefetchRequests = prefetchRequests
            self.prefetchCalls = prefetchCalls
            self.refreshInterval = refreshInterval
            self.maxHeldCalls = maxHeldCalls
        }
    }

    /// Amounts of the three limits.
    public struct Amounts: Sendable, Hashable {
        public var requests: Double
        public var inputTokens: Double
        public var outputTokens: Double

        public init(requests: Double = 0, inputTokens: Double = 0, outputTokens: Double = 0) {
            self.requests = requests
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
        }

        public static var zero: Amounts { Amounts() }
    }

    /// A round trip to make.
    public struct RefreshRequest: Sendable, Hashable {
        /// What must be granted for the current call to start.
        public var need: Amounts
        /// What to take beyond the need if available.
        public var prefetch: Amounts
        /// What to give back.
        public var giveBack: Amounts
    }

    public enum Take: Sendable, Hashable {
        /// Start the call.
        case granted
        /// Ask the database, then call ``LocalPermitPool/granted(_:pausedFor:now:)`` and take again.
        case refresh(RefreshRequest)
        /// The cluster is paused; try again at this instant.
        case paused(until: Instant)
    }

    public let configuration: Configuration
    /// What this worker holds (may be negative: debt from usage above an estimate).
    public private(set) var held = Amounts.zero
    /// Until when the last round trip's view holds.
    public private(set) var freshUntil: Instant?
    public private(set) var pausedUntil: Instant?
    /// Round trips asked for, and calls served from the pool without one.
    public private(set) var refreshes = 0
    public private(set) var localGrants = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Takes one request, `inputTokens` and `maxOutputTokens` from the pool, or says what to do instead. A
    /// ``Take/refresh(_:)`` changes nothing: the caller starts it with ``beginRefresh(_:)`` (after taking again under
    /// its refresh lock, since another task's round trip may have filled the pool meanwhile).
    public mutating func take(inputTokens: Int, maxOutputTokens: Int, now: Instant) -> Take {
        if let pausedUntil, now < pausedUntil { return .paused(until: pausedUntil) }
        let call = Amounts(requests: 1, inputTokens: Double(max(0, inputTokens)), outputTokens: Double(max(0, maxOutputTokens)))
        let fresh = freshUntil.map { now < $0 } ?? false
        if fresh, held.requests >= call.requests, held.inputTokens >= call.inputTokens, held.outputTokens >= call.outputTokens {
            held.requests -= call.requests
            held.inputTokens -= call.inputTokens
            held.outputTokens -= call.outputTokens
            localGrants += 1
            return .granted
        }
        let need = Amounts(
            requests: max(0, call.requests - held.requests).rounded(.up),
            inputTokens: max(0, call.inputTokens - held.inputTokens).rounded(.up),
            outputTokens: max(0, call.outputTokens - held.outputTokens).rounded(.up)
        )
        let calls = Double(configuration.prefetchCalls)
        let prefetch = Amounts(requests: Double(configuration.prefetchRequests), inputTokens: call.inputTokens * calls, outputTokens: call.outputTokens * calls)
        let cap = Double(configuration.maxHeldCalls)
        let giveBack = Amounts(
            requests: max(0, held.requests - cap).rounded(.down),
            inputTokens: max(0, held.inputTokens - call.inputTokens * cap).rounded(.down),
            outputTokens: max(0, held.outputTokens - call.outputTokens * cap).rounded(.down)
        )
        return .refresh(RefreshRequest(need: need, prefetch: prefetch, giveBack: giveBack))
    }

    /// Starts the round trip `request` (from ``take(inputTokens:maxOutputTokens:now:)``): removes what it gives back
    /// from the pool. Call ``granted(_:pausedFor:now:)`` with the answer; if the trip fails, the given-back permits are
    /// lost locally (the database still counts them as taken, which errs on the safe side).
    public mutating func beginRefresh(_ request: RefreshRequest) {
        refreshes += 1
        held.requests -= request.giveBack.requests
        held.inputTokens -= request.giveBack.inputTokens
        held.outputTokens -= request.giveBack.outputTokens
    }

    /// Records a round trip's answer: what the database granted (zero when it could not grant the need) and how long
    /// the cluster is paused from `now` (zero when it is not).
    public mutating func granted(_ amounts: Amounts, pausedFor: Duration, now: Instant) {
        held.requests += amounts.requests
        held.inputTokens += amounts.inputTokens
        held.outputTokens += amounts.outputTokens
        freshUntil = now.advanced(by: configuration.refreshInterval)
        if pausedFor > .zero { pause(until: now.advanced(by: pausedFor)) }
    }

    /// Settles a finished call: returns unused reserved tokens to the pool and charges usage beyond the reservation
    /// (nil `actual` — the call was not served — returns both token reservations; the request stays spent).
    public mutating func settle(reservedInput: Int, reservedOutput: Int, actualInput: Int?, actualOutput: Int?) {
        held.inputTokens += Double(reservedInput - (actualInput ?? 0))
        held.outputTokens += Double(reservedOutput - (actualOutput ?? 0))
    }

    /// Takes one call's permits whatever the pool holds (a reservation the database granted for this call, added by
    /// ``granted(_:pausedFor:now:)`` just before): leaves any shortfall as debt.
    public mutating func takeReserved(inputTokens: Int, maxOutputTokens: Int) {
        held.requests -= 1
        held.inputTokens -= Double(max(0, inputTokens))
        held.outputTokens -= Double(max(0, maxOutputTokens))
    }

    /// Pauses this worker until `until` (a later pause never shortens an earlier one) and forces a round trip after.
    public mutating func pause(until: Instant) {
        if let pausedUntil, pausedUntil >= until { return }
        pausedUntil = until
        freshUntil = nil
    }
}
