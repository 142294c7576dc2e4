/// The simulator's prompt cache: which cacheable prefixes were seen recently, as hashes with an expiry.
///
/// Like Anthropic's default cache, an entry lives 5 minutes and each hit refreshes it. Bounded: when full, expired
/// entries are dropped, then the entry closest to expiry.
struct PromptCache: Sendable {
    static let lifetimeSeconds = 300.0
    let capacity: Int
    private var expiries: [UInt64: Double] = [:]

    init(capacity: Int = 4096) { self.capacity = capacity }

    /// Whether the prefix is cached now.
    func contains(_ prefix: String, at now: Double) -> Bool {
        (expiries[SimulatedModel.fnv1a(prefix)] ?? -.infinity) > now
    }

    /// Caches the prefix, or refreshes its entry. True for a hit (a cache read), false for a miss (a cache write).
    @discardableResult
    mutating func access(_ prefix: String, at now: Double) -> Bool {
        let key = SimulatedModel.fnv1a(prefix)
        let hit = contains(prefix, at: now)
        if !hit, expiries.count >= capacity {
            expiries = expiries.filter { $0.value > now }
            if expiries.count >= capacity, let oldest = expiries.min(by: { $0.value < $1.value }) { expiries[oldest.key] = nil }
        }
        expiries[key] = now + Self.lifetimeSeconds
        return hit
    }

    mutating func removeAll() { expiries = [:] }
}
