import Foundation
import VigilCore

extension RuleSet {
    /// The single-event rules matching an alert's raw record (`payload`).
    public func evaluate(alert: Alert) -> [RuleHit] {
        evaluate(event: alert.payload)
    }
}

extension RuleEngine {
    /// Evaluates an alert's raw record (`payload`) with state; when the record carries no time of its own, the
    /// alert's `occurredAt` is used.
    public mutating func evaluate(alert: Alert) -> [RuleHit] {
        evaluate(event: alert.payload, fallbackTime: alert.occurredAt.timeIntervalSince1970)
    }
}
