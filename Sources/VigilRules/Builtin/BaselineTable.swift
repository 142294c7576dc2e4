/// A bounded map from keys to the time they were last seen, for baseline detectors.
///
/// When it holds more than `capacity` keys, keys older than the baseline window go first, then the least
/// recently seen, so memory stays bounded whatever the input.
struct BaselineTable: Sendable {
    private(set) var lastSeen: [String: Double] = [:]
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { lastSeen.count }

    subscript(key: String) -> Double? { lastSeen[key] }

    mutating func record(_ key: String, at time: Double, window: Double) {
        lastSeen[key] = max(time, lastSeen[key] ?? time)
        guard lastSeen.count > capacity else { return }
        lastSeen = lastSeen.filter { $0.value >= time - window }
        guard lastSeen.count > capacity else { return }
        let excess = lastSeen.count - capacity + capacity / 10
        for (key, _) in lastSeen.sorted(by: { $0.value < $1.value }).prefix(excess) { lastSeen.removeValue(forKey: key) }
    }
}
