import VigilCore

/// Limits on the memory a ``RuleEngine`` keeps for correlations and built-in detectors.
public struct StateLimits: Sendable, Hashable {
    /// Groups kept per correlation (default 10,000); past it the least recently updated group is dropped.
    public var maxGroupsPerCorrelation: Int
    /// Events (or values) kept per group (default 1,000); past it the oldest are dropped.
    public var maxEntriesPerGroup: Int

    public init(maxGroupsPerCorrelation: Int = 10_000, maxEntriesPerGroup: Int = 1_000) {
        self.maxGroupsPerCorrelation = max(1, maxGroupsPerCorrelation)
        self.maxEntriesPerGroup = max(1, maxEntriesPerGroup)
    }
}

/// The sliding-window state of one correlation rule, per group.
///
/// Time is the events' own (``EventTime``); windows slide as events arrive in time order. When a group's
/// condition holds the correlation fires once and the group's window is cleared, so one burst gives one hit.
struct CorrelationState: Sendable {
    struct Group: Sendable {
        /// event_count: times of matches; value_count: times and values; temporal: per-slot last times.
        var times: [Double] = []
        var values: [String] = []
        var slotTimes: [Double?] = []
        /// temporal_ordered: the latest start time of a chain completed up to each slot.
        var chainStarts: [Double?] = []
        var lastSeen: Double = 0
    }

    let rule: CorrelationRule
    let limits: StateLimits
    private(set) var groups: [String: Group] = [:]
    /// group-by fields per slot (aliases resolved), and the value_count field per slot.
    private let groupFields: [[FieldPath]]
    private let countFields: [FieldPath?]

    init(rule: CorrelationRule, limits: StateLimits) {
        self.rule = rule
        self.limits = limits
        var groupFields: [[FieldPath]] = []
        var countFields: [FieldPath?] = []
        for reference in rule.ruleReferences {
            groupFields.append(rule.groupBy.map { FieldPath(rule.aliases[$0]?[reference] ?? $0) })
            countFields.append(rule.condition.field.map { FieldPath(rule.aliases[$0]?[reference] ?? $0) })
        }
        self.groupFields = groupFields
        self.countFields = countFields
    }

    /// The number of groups currently held.
    var groupCount: Int { groups.count }

    /// Records a match of the rule in `slot` on `event` at `time`; returns the group values when the correlation fires.
    mutating func record(slot: Int, event: JSONValue, time: Double) -> [(String, JSONValue)]? {
        var groupValues: [(String, JSONValue)] = []
        var key = ""
        for (i, path) in groupFields[slot].enumerated() {
            let value = path.value(in: event) ?? .null
            groupValues.append((rule.groupBy[i], value))
            key += value.scalarText ?? value.jsonText
            key.unicodeScalars.append("\u{1F}")
        }
        var group = groups.removeValue(forKey: key) ?? Group()
        if group.slotTimes.isEmpty {
            group.slotTimes = Array(repeating: nil, count: rule.ruleReferences.count)
            group.chainStarts = Array(repeating: nil, count: rule.ruleReferences.count)
        }
        group.lastSeen = time
        let windowStart = time - rule.timespan
        var fired = false
        switch rule.kind {
        case .eventCount:
            group.times.append(time)
            let drop = group.times.firstIndex { $0 >= windowStart } ?? group.times.count
            group.times.removeFirst(drop)
            if group.times.count > limits.maxEntriesPerGroup { group.times.removeFirst(group.times.count - limits.maxEntriesPerGroup) }
            fired = rule.condition.holds(Double(group.times.count))
        case .valueCount:
            guard let value = countFields[slot]?.value(in: event), !value.isNull else { break }
            group.times.append(time)
            group.values.append(value.scalarText ?? value.jsonText)
            let drop = group.times.firstIndex { $0 >= windowStart } ?? group.times.count
            group.times.removeFirst(drop)
            group.values.removeFirst(drop)
            if group.times.count > limits.maxEntriesPerGroup {
                let extra = group.times.count - limits.maxEntriesPerGroup
                group.times.removeFirst(extra)
                group.values.removeFirst(extra)
            }
            fired = rule.condition.holds(Double(Set(group.values).count))
        case .temporal:
            group.slotTimes[slot] = time
            let present = group.slotTimes.filter { $0.map { $0 >= windowStart } ?? false }.count
            fired = rule.condition.holds(Double(present))
        case .temporalOrdered:
            if slot == 0 {
                group.chainStarts[0] = time
            } else if let start = group.chainStarts[slot - 1], start >= windowStart {
                group.chainStarts[slot] = max(group.chainStarts[slot] ?? start, start)
            }
            let last = rule.ruleReferences.count - 1
            fired = slot == last && group.chainStarts[last].map { $0 >= windowStart } == true
        }
        if fired {
            group = Group()
        } else {
            groups[key] = group
            if groups.count > limits.maxGroupsPerCorrelation { evict(before: windowStart) }
        }
        return fired ? groupValues : nil
    }

    /// Drops groups whose last event left the window; if still over the limit, the least recently updated ones.
    private mutating func evict(before windowStart: Double) {
        groups = groups.filter { $0.value.lastSeen >= windowStart }
        guard groups.count > limits.maxGroupsPerCorrelation else { return }
        let ordered = groups.sorted { $0.value.lastSeen < $1.value.lastSeen }
        for (key, _) in ordered.prefix(groups.count - limits.maxGroupsPerCorrelation + limits.maxGroupsPerCorrelation / 10) {
            groups.removeValue(forKey: key)
        }
    }
}
