import VigilCore

/// A Sigma correlation rule (`event_count`, `value_count`, `temporal`, `temporal_ordered`).
public struct CorrelationRule: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case eventCount = "event_count"
        case valueCount = "value_count"
        case temporal
        case temporalOrdered = "temporal_ordered"
    }

    /// A range condition: every bound must hold (`gte: 10`, `lte: 20`).
    public struct Condition: Sendable, Hashable {
        public enum Operator: String, Sendable, CaseIterable { case gt, gte, lt, lte, eq, neq }
        public var bounds: [(Operator, Double)] { boundList.map { ($0.op, $0.value) } }
        struct Bound: Sendable, Hashable { var op: Operator; var value: Double }
        var boundList: [Bound]
        /// The field counted by `value_count`.
        public var field: String?

        func holds(_ n: Double) -> Bool {
            boundList.allSatisfy { b in
                switch b.op {
                case .gt: n > b.value
                case .gte: n >= b.value
                case .lt: n < b.value
                case .lte: n <= b.value
                case .eq: n == b.value
                case .neq: n != b.value
                }
            }
        }
    }

    public let metadata: SigmaRuleMetadata
    public let kind: Kind
    /// Referenced rules (ids or names), in the given order (the order matters for `temporal_ordered`).
    public let ruleReferences: [String]
    public let groupBy: [String]
    /// The window in seconds.
    public let timespan: Double
    public let condition: Condition
    /// alias → (rule reference → field in that rule's events).
    public let aliases: [String: [String: String]]
    /// When true the referenced rules still report their own hits.
    public let generate: Bool

    /// Parses `1h`, `15m`, `30s`, `2d`, `1w`, `1M` (30 days), `1y` (365 days).
    static func parseTimespan(_ text: String) -> Double? {
        guard let unit = text.last, let count = Double(text.dropLast()), count > 0 else { return nil }
        switch unit {
        case "s": return count
        case "m": return count * 60
        case "h": return count * 3600
        case "d": return count * 86_400
        case "w": return count * 604_800
        case "M": return count * 2_592_000
        case "y": return count * 31_536_000
        default: return nil
        }
    }
}
