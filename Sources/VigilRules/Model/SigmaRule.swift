import VigilCore

/// A compiled Sigma detection rule (filters already folded into its condition).
public struct SigmaRule: Sendable {
    public let metadata: SigmaRuleMetadata
    /// The named detections: the rule's own, then those of the filters applied to it.
    public let detections: [Detection]
    /// The conditions as written (a list means OR).
    public let conditions: [ConditionExpression]
    /// Ids of the Sigma filters folded into this rule.
    public internal(set) var appliedFilters: [String] = []
    /// False when a correlation uses the rule without `generate: true`: its matches feed the correlation only.
    public internal(set) var generatesHits = true
    var condition: CompiledCondition

    init(metadata: SigmaRuleMetadata, detections: [Detection], conditions: [ConditionExpression], condition: CompiledCondition) {
        self.metadata = metadata
        self.detections = detections
        self.conditions = conditions
        self.condition = condition
    }

    /// True when the rule's condition holds for `event` (the log source is not checked here).
    public func matches(_ event: JSONValue) -> Bool {
        condition.evaluate(event, detections)
    }

    /// Folds a filter in: the rule matches only when the filter's condition holds as well.
    mutating func apply(_ filter: SigmaFilter) {
        let offset = detections.count
        var all = detections
        all.append(contentsOf: filter.detections)
        self = SigmaRule(metadata: metadata, detections: all, conditions: conditions,
            condition: .and([condition, filter.condition.shifted(by: offset)]))
        appliedFilters.append(filter.metadata.reportedID)
    }
}

/// The parts of a rule the per-event loop reads, in one reference so that visiting a rule costs one retain.
final class CompiledRule: Sendable {
    let condition: CompiledCondition
    let detections: [Detection]
    private let detectionRefs: [Unmanaged<Detection>]
    let acceptsCloudTrail: Bool
    let generatesHits: Bool
    let hit: RuleHit
    let feeds: [RuleSet.CorrelationFeed]

    init(_ rule: SigmaRule, feeds: [RuleSet.CorrelationFeed]) {
        condition = rule.condition
        detections = rule.detections
        detectionRefs = rule.detections.map { Unmanaged.passUnretained($0) }
        acceptsCloudTrail = rule.metadata.logSource.accepts(.awsCloudTrail)
        generatesHits = rule.generatesHits
        hit = rule.metadata.hit(eventID: nil)
        // Highest slot first, so one event can advance a temporal_ordered chain only one step per slot.
        self.feeds = feeds.reversed()
    }

    @inline(__always)
    func matches(_ event: JSONValue) -> Bool {
        (acceptsCloudTrail || !LogSource.isCloudTrail(event))
            && detectionRefs.withUnsafeBufferPointer { condition.evaluate(event, $0) }
    }
}

/// A Sigma filter document: a condition AND-ed into the rules it names (`rules: any` for all of its log source).
public struct SigmaFilter: Sendable {
    public let metadata: SigmaRuleMetadata
    /// Rule ids or names; empty means every rule whose log source the filter accepts.
    public let ruleReferences: [String]
    let detections: [Detection]
    let condition: CompiledCondition
}

extension CompiledCondition {
    func shifted(by offset: Int) -> CompiledCondition {
        switch self {
        case .detection(let i): .detection(i + offset)
        case .not(let inner): .not(inner.shifted(by: offset))
        case .and(let items): .and(items.map { $0.shifted(by: offset) })
        case .or(let items): .or(items.map { $0.shifted(by: offset) })
        case .constant: self
        }
    }

    /// Values that `field` must equal (lowercased) for the condition to hold, when the condition implies one.
    func requiredValues(of field: String, _ detections: [Detection]) -> Set<String>? {
        switch self {
        case .detection(let i):
            var union = Set<String>()
            for group in detections[i].groups {
                var best: Set<String>?
                for item in group where item.field?.name == field && !item.negated && !item.requiresAll {
                    guard let values = item.plainValues, !values.isEmpty else { continue }
                    let set = Set(values.map { $0.lowercased() })
                    if best == nil || set.count < best!.count { best = set }
                }
                guard let best else { return nil }
                union.formUnion(best)
            }
            return union
        case .and(let items):
            var best: Set<String>?
            for item in items {
                if let set = item.requiredValues(of: field, detections), best == nil || set.count < best!.count { best = set }
            }
            return best
        case .or(let items):
            var union = Set<String>()
            for item in items {
                guard let set = item.requiredValues(of: field, detections) else { return nil }
                union.formUnion(set)
            }
            return union
        case .not: return nil
        case .constant(let value): return value ? nil : []
        }
    }
}
