/// A token bucket refilled continuously at `capacity` per minute: the arithmetic of one provider limit
/// (requests/min, input tokens/min or output tokens/min). Pure: the time is always passed in.
///
/// `available` may go negative: a reconciliation that charges more than was reserved leaves the bucket in debt,
/// and it refills from there. A request larger than the whole capacity is admitted only when the bucket is full,
/// so it can never be starved forever.
public struct TokenBucket<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// The configured limit per minute; the bucket never holds more than ``capacity``.
    public let configuredCapacity: Double
    /// The effective limit: the configured one, lowered when the provider reports a smaller limit.
    public private(set) var capacity: Double
    public private(set) var available: Double
    public private(set) var updatedAt: Instant

    /// - Parameters:
    ///   - perMinute: the limit (must be positive).
    ///   - now: the current time.
    ///   - full: whether the bucket starts full (default) or empty.
    public init(perMinute: Int, now: Instant, full: Bool = true) {
        precondition(perMinute > 0, "a rate limit must be positive")
        configuredCapacity = Double(perMinute)
        capacity = configuredCapacity
        available = full ? capacity : 0
        updatedAt = now
    }

    /// Tokens per second.
    public var refillRate: Double { capacity / 60 }

    /// Adds what accrued since ``updatedAt``. Time never runs backwards here: an earlier `now` changes nothing.
    public mutating func refill(now: Instant) {
        guard now > updatedAt else { return }
        let elapsed = updatedAt.duration(to: now).seconds
        available = min(capacity, available + elapsed * refillRate)
        updatedAt = now
    }

    /// Takes `amount` if it is all there (or the bucket is full and `amount` exceeds the capacity). All or nothing.
    public mutating func take(_ amount: Double, now: Instant) -> Bool {
        refill(now: now)
        guard canTake(amount) else { return false }
        available -= amount
        return true
    }

    /// Takes as much of `amount` as is available, in whole tokens; returns what was taken (for chunked leasing).
    public mutating func take(upTo amount: Double, now: Instant) -> Double {
        refill(now: now)
        let granted = max(0, min(amount, available.rounded(.down)))
        available -= granted
        return granted
    }

    func canTake(_ amount: Double) -> Bool {
        amount <= available || (amount > capacity && available >= capacity)
    }

    /// How long until `amount` could be taken (zero when it can be now).
    public func wait(for amount: Double, now: Instant) -> Duration {
        var copy = self
        copy.refill(now: now)
        if copy.canTake(amount) { return .zero }
        let needed = min(amount, copy.capacity) - copy.available
        return Self.duration(seconds: needed / copy.refillRate)
    }

    /// Returns `amount` unused tokens (never above capacity).
    public mutating func refund(_ amount: Double) {
        available = min(capacity, available + max(0, amount))
    }

    /// Charges `amount` whatever is available (reconciliation of actual usage); may leave the bucket in debt.
    public mutating func charge(_ amount: Double) {
        available -= max(0, amount)
    }

    /// Corrects the bucket from a provider's rate-limit headers.
    ///
    /// The provider sees the whole cluster's use of the key, so its `remaining` caps what this bucket believes is
    /// available; a reported `limit` below the configured one lowers the capacity (never raises it above the
    /// configured value, which may be deliberately lower to leave room for others). When the provider says the limit
    /// is fully replenished only after `resetIn`, the bucket is lowered so that, refilling at its own rate, it is
    /// full no earlier than that.
    public mutating func observe(limit: Int?, remaining: Int?, resetIn: Duration? = nil, now: Instant) {
        refill(now: now)
        if let limit, limit > 0 { capacity = min(configuredCapacity, Double(limit)) }
        var ceiling = capacity
        if let remaining { ceiling = min(ceiling, Double(max(0, remaining))) }
        if let resetIn, resetIn > .zero { ceiling = min(ceiling, capacity - resetIn.seconds * refillRate) }
        available = min(available, ceiling)
    }

    static func duration(seconds: Double) -> Duration {
        guard seconds.isFinite, seconds > 0 else { return .zero }
        // Round up to the next microsecond so that waiting this long always suffices.
        return .microseconds((seconds * 1_000_000).rounded(.up))
    }
}
