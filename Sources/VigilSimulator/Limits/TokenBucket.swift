/// A token bucket that refills continuously, as Anthropic describes its rate limits: it refills at `limit / 60`
/// tokens per second up to its capacity, which is the per-minute limit by default (a burst may use the whole
/// minute at once) or the refill of a shorter burst window.
///
/// Pure arithmetic over an injected time in seconds (any monotonic origin). The level may go below zero when
/// a cost is charged after the fact (output tokens), which delays later admissions accordingly.
struct TokenBucket: Sendable, Hashable {
    /// The per-minute limit, as headers report it.
    let limit: Int
    let capacity: Double
    let refillPerSecond: Double
    private(set) var level: Double
    private(set) var updatedAt: Double

    /// A full bucket for a per-minute limit.
    /// - Parameter burstSeconds: the capacity as seconds of refill (60: the whole per-minute limit); at least one
    ///   token.
    init(perMinute limit: Int, burstSeconds: Double = 60, now: Double) {
        self.limit = limit
        refillPerSecond = Double(limit) / 60
        capacity = max(1, refillPerSecond * burstSeconds)
        level = capacity
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
