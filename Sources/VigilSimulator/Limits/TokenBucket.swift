/// A token bucket that refills continuously, as Anthropic describes its rate limits: capacity is the per-minute
/// limit and it refills at `limit / 60` tokens per second, so a burst may use the whole minute at once.
///
/// Pure arithmetic over an injected time in seconds (any monotonic origin). The level may go below zero when
/// a cost is charged after the fact (output tokens), which delays later admissions accordingly.
struct TokenBucket: Sendable, Hashable {
    let capacity: Double
    let refillPerSecond: Double
    private(set) var level: Double
    private(set) var updatedAt: Double

    /// A full bucket for a per-minute limit.
    init(perMinute limit: Int, now: Double) {
        capacity = Double(limit)
        refillPerSecond = Double(limit) / 60
        level = Double(limit)
        updatedAt = now
    }

    /// Adds what has refilled since the last update, up to capacity.
    mutating func refill(at now: Double) {
        if now > updatedAt {
            level = min(capacity, level + (now - updatedAt) * refillPerSecond)
            updatedAt = now
        }
    }

    /// Seconds until `amount` tokens are available (0 when they are now). Infinite when `amount` exceeds capacity.
    func secondsUntilAvailable(_ amount: Double) -> Double {
        if amount > capacity { return .infinity }
        return max(0, (amount - level) / refillPerSecond)
    }

    /// Seconds until the bucket is full again.
    var secondsUntilFull: Double { max(0, (capacity - level) / refillPerSecond) }

    /// Whole tokens available now, never negative.
    var remaining: Int { max(0, Int(level.rounded(.down))) }

    /// Takes `amount` tokens; the level may go negative (down to minus the capacity).
    mutating func take(_ amount: Double) {
        level = max(-capacity, level - amount)
    }

    /// Refills to capacity.
    mutating func fill(at now: Double) {
        level = capacity
        updatedAt = now
    }
}
