import Foundation
import VigilCore

/// One row of the escalation queue.
///
/// `principal`, `resource` and `kind` come from the alert and are attacker-controlled text: render them escaped.
public struct EscalationSummary: Sendable, Hashable {
    public var alertID: UUID
    public var shard: Int
    public var severity: String
    public var kind: String
    public var source: String
    public var principal: String?
    public var resource: String?
    public var occurredAt: Date
    public var escalatedAt: Date
    public var decidedBy: String
    public var confidence: Double?
    public var guardrails: [String]
    public var recommendedAction: String?
    public var review: EscalationReview
    /// The position of this row, for ``EscalationPage/nextCursor``.
    public var cursor: EscalationCursor

    /// The row as the API returns it.
    public var json: JSONValue {
        var object: JSONObject = [
            "id": .string(alertID.uuidString.lowercased()),
            "severity": .string(severity), "kind": .string(kind), "source": .string(source),
            "principal": principal.map(JSONValue.string) ?? .null, "resource": resource.map(JSONValue.string) ?? .null,
            "occurred_at": .string(RFC3339.format(occurredAt)), "escalated_at": .string(RFC3339.format(escalatedAt)),
            "decided_by": .string(decidedBy), "guardrails": .array(guardrails.map(JSONValue.string)),
        ]
        object["confidence"] = confidence.map(JSONValue.double) ?? .null
        object["recommended_action"] = recommendedAction.map(JSONValue.string) ?? .null
        object["state"] = .string(review.state.rawValue)
        object["assignee"] = review.assignee.map(JSONValue.string) ?? .null
        object["version"] = .int(review.version)
        return .object(object)
    }
}

/// A page of the escalation queue.
public struct EscalationPage: Sendable, Hashable {
    public var items: [EscalationSummary]
    /// Pass as ``EscalationFilter/cursor`` for the next page; nil when this page is the last.
    public var nextCursor: EscalationCursor?
}

/// One escalation with everything behind it: the alert (payload included), the verdict with its evidence and
/// triage record (rule hits and their authors, the AI audit with tool calls and cost, guardrail reasons, as the
/// worker wrote them), the review state and the audit trail.
public struct EscalationDetail: Sendable, Hashable {
    public var summary: EscalationSummary
    public var externalID: String
    public var account: String?
    public var sourceIP: String?
    public var receivedAt: Date
    public var payload: JSONValue
    public var rationale: String
    public var flags: [String]
    public var evidence: JSONValue
    public var triage: JSONValue
    public var audit: [AuditRecord]

    /// The escalation as the API returns it.
    public var json: JSONValue {
        let summaryJSON = summary.json
        var alert: JSONObject = [
            "id": summaryJSON["id"] ?? .null, "source": .string(summary.source), "external_id": .string(externalID),
            "kind": .string(summary.kind), "severity": .string(summary.severity),
            "principal": summaryJSON["principal"] ?? .null, "resource": summaryJSON["resource"] ?? .null,
            "occurred_at": summaryJSON["occurred_at"] ?? .null, "received_at": .string(RFC3339.format(receivedAt)),
        ]
        alert["account"] = account.map(JSONValue.string) ?? .null
        alert["source_ip"] = sourceIP.map(JSONValue.string) ?? .null
        alert["payload"] = payload
        let verdict: JSONObject = [
            "decision": "ESCALATE", "decided_by": .string(summary.decidedBy),
            "confidence": summary.confidence.map(JSONValue.double) ?? .null, "rationale": .string(rationale),
            "guardrails": .array(summary.guardrails.map(JSONValue.string)), "flags": .array(flags.map(JSONValue.string)),
            "recommended_action": summary.recommendedAction.map(JSONValue.string) ?? .null,
            "evidence": evidence, "triage": triage, "escalated_at": summaryJSON["escalated_at"] ?? .null,
        ]
        return [
            "id": summaryJSON["id"] ?? .null, "alert": .object(alert), "verdict": .object(verdict),
            "review": summary.review.json, "audit": .array(audit.map(\.json)),
        ]
    }
}

/// One append-only audit record of a review action.
public struct AuditRecord: Sendable, Hashable {
    public var id: Int64
    public var actor: String
    public var action: String
    public var at: Date
    public var previous: JSONValue
    public var new: JSONValue
    public var detail: JSONValue

    public var json: JSONValue {
        [
            "id": .int(id), "actor": .string(actor), "action": .string(action), "at": .string(RFC3339.format(at)),
            "previous": previous, "new": new, "detail": detail,
        ]
    }
}
