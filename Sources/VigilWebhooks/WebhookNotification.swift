import Foundation
import VigilCore

/// One verdict (or one approval of an escalation's recommended containment) to announce, as the outbox claim reads
/// it: ids, the verdict's decision and metadata and the alert's indexed fields. Never the alert's payload;
/// `rationale` (which may quote alert data) only when a webhook asks.
public struct WebhookNotification: Sendable, CustomStringConvertible {
    /// What happened: a verdict was written, or a reviewer approved the recommended containment. Vigil executes
    /// nothing; an approval is handed to the team's own tooling through this notification.
    public enum Event: String, Sendable, Hashable {
        case verdict
        case approval
    }

    /// Who approved which action, when (an `.approval` event).
    public struct Approval: Sendable, Hashable {
        public var action: String
        public var by: String
        public var at: Date

        /// Nil unless all three are present.
        public init?(action: String?, by: String?, at: Date?) {
            guard let action, let by, let at else { return nil }
            self.action = action
            self.by = by
            self.at = at
        }
    }

    public var shard: Int
    public var alertID: UUID
    public var subscription: String
    public var decision: Decision
    /// This try's number, 1-based.
    public var attempt: Int
    public var source: String
    public var externalID: String
    public var kind: String
    public var severity: String
    public var occurredAt: Date
    public var principal: String?
    public var resource: String?
    public var account: String?
    public var decidedBy: String?
    public var confidence: Double?
    public var guardrails: [String]
    public var flags: [String]
    public var recommendedAction: String?
    public var rationale: String?
    public var decidedAt: Date?
    public var event: Event = .verdict
    /// Present for an `.approval` event whose review row holds the approval.
    public var approval: Approval?

    /// A receiver's idempotency key: the same for every try of one notification.
    public var deliveryID: String {
        let base = "\(subscription):\(alertID.uuidString.lowercased())"
        return event == .verdict ? base : "\(base):\(event.rawValue)"
    }

    /// The `Vigil-Event` header: `verdict.escalate|monitor|close` or `approval.containment`.
    public var eventName: String { event == .verdict ? "verdict.\(decision.rawValue.lowercased())" : "approval.containment" }

    /// Ids only.
    public var description: String { "WebhookNotification(\(deliveryID), attempt \(attempt))" }

    /// One line for humans: decision, severity, kind, whom it is about, why it was escalated.
    public var summary: String {
        var text = "\(decision.rawValue): \(severity) \(kind) alert from \(source)"
        if event == .approval {
            text = "APPROVED by \(approval?.by ?? "a reviewer"): \(approval?.action ?? "the recommended containment") for \(severity) \(kind) alert from \(source)"
        }
        if let principal { text += " about principal \(principal)" } else if let resource { text += " about resource \(resource)" }
        if !guardrails.isEmpty { text += "; guardrails: \(guardrails.joined(separator: ", "))" }
        return text
    }

    /// The body for `format`, as bytes (what is signed is exactly what is sent).
    public func body(format: Webhook.Format, includeRationale: Bool) -> [UInt8] {
        let value: JSONValue =
            switch format {
            case .vigil: vigilBody(includeRationale: includeRationale)
            case .slack: slackBody(includeRationale: includeRationale)
            }
        return Array(value.jsonText.utf8)
    }

    func vigilBody(includeRationale: Bool) -> JSONValue {
        func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        var verdict: JSONObject = [
            "decision": .string(decision.rawValue), "decided_by": optional(decidedBy),
            "confidence": confidence.map(JSONValue.double) ?? .null,
            "guardrails": .array(guardrails.map(JSONValue.string)), "flags": .array(flags.map(JSONValue.string)),
            "recommended_action": optional(recommendedAction),
            "decided_at": decidedAt.map { .string(RFC3339.format($0)) } ?? .null,
        ]
        if includeRationale { verdict["rationale"] = optional(rationale) }
        var body: JSONObject = [
            "type": .string(event == .verdict ? "vigil.verdict" : "vigil.approval"),
            "delivery_id": .string(deliveryID),
            "attempt": .int(Int64(attempt)),
            "summary": .string(summary),
            "alert": [
                "id": .string(alertID.uuidString.lowercased()), "shard": .int(Int64(shard)), "source": .string(source),
                "external_id": .string(externalID), "kind": .string(kind), "severity": .string(severity),
                "occurred_at": .string(RFC3339.format(occurredAt)), "principal": optional(principal), "resource": optional(resource),
                "account": optional(account),
            ],
            "verdict": .object(verdict),
        ]
        if event == .approval {
            body["approval"] =
                approval.map { ["action": .string($0.action), "approved_by": .string($0.by), "approved_at": .string(RFC3339.format($0.at))] } ?? .null
        }
        return .object(body)
    }

    /// Slack's incoming-webhook shape: `text` (the fallback) and `blocks`; alert-controlled text is escaped.
    func slackBody(includeRationale: Bool) -> JSONValue {
        var details = "*Alert* `\(Self.slackEscape(alertID.uuidString.lowercased()))` (\(Self.slackEscape(source)) / "
            + "\(Self.slackEscape(externalID)))"
        if let action = recommendedAction { details += "\n*Recommended* \(Self.slackEscape(action))" }
        if let approval { details += "\n*Approved* \(Self.slackEscape(approval.action)) by \(Self.slackEscape(approval.by))" }
        if includeRationale, let rationale { details += "\n*Rationale* \(Self.slackEscape(rationale))" }
        let text = Self.slackEscape(summary)
        return [
            "text": .string(text),
            "blocks": [
                ["type": "section", "text": ["type": "mrkdwn", "text": .string("*\(text)*")]],
                ["type": "section", "text": ["type": "mrkdwn", "text": .string(details)]],
                ["type": "context", "elements": [["type": "mrkdwn", "text": .string("Vigil recommends; a human decides. Delivery \(deliveryID)")]]],
            ],
        ]
    }

    /// Slack's control characters `&`, `<`, `>` escaped, so alert data cannot form links or mentions.
    static func slackEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
