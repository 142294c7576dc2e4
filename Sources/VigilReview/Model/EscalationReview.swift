import Foundation
import VigilCore

/// The human review of one escalation: its state, who works it, what containment was approved, and the
/// version that guards concurrent edits.
///
/// ``applying(_:actor:recommendedAction:at:)`` is the whole state machine, pure: the store only loads,
/// compares versions and saves.
public struct EscalationReview: Sendable, Hashable {
    public var state: EscalationState
    public var assignee: String?
    public var approvedAction: String?
    public var approvedBy: String?
    public var approvedAt: Date?
    public var closeReason: String?
    /// 0 for an escalation nobody has acted on yet; each action adds one.
    public var version: Int64
    public var updatedBy: String?
    public var updatedAt: Date?

    public init(
        state: EscalationState = .open,
        assignee: String? = nil,
        approvedAction: String? = nil,
        approvedBy: String? = nil,
        approvedAt: Date? = nil,
        closeReason: String? = nil,
        version: Int64 = 0,
        updatedBy: String? = nil,
        updatedAt: Date? = nil
    ) {
        self.state = state
        self.assignee = assignee
        self.approvedAction = approvedAction
        self.approvedBy = approvedBy
        self.approvedAt = approvedAt
        self.closeReason = closeReason
        self.version = version
        self.updatedBy = updatedBy
        self.updatedAt = updatedAt
    }

    /// The review before anyone acted.
    public static let initial = EscalationReview()

    /// The review after `actor` performs `action`, one version later.
    ///
    /// - Parameters:
    ///   - recommendedAction: the verdict's recommended containment, which an approval copies.
    /// - Throws: ``ReviewError/Code/invalidTransition`` when the action does not apply in the current state
    ///   (anything but reopen on a closed escalation, reopen on one not closed, approving when nothing is
    ///   recommended, acknowledging one already acknowledged).
    public func applying(_ action: ReviewAction, actor: String, recommendedAction: String?, at now: Date) throws(ReviewError) -> EscalationReview {
        var next = self
        switch action {
        case .reopen:
            guard state == .closed else { throw ReviewError(.invalidTransition, "only a closed escalation can be reopened") }
            next.state = .open
            next.closeReason = nil
        case .acknowledge, .assign, .approveContainment, .close:
            guard state != .closed else { throw ReviewError(.invalidTransition, "the escalation is closed: reopen it first") }
            switch action {
            case .acknowledge:
                guard state == .open else { throw ReviewError(.invalidTransition, "the escalation is already acknowledged") }
                next.state = .acknowledged
            case .assign(let assignee):
                next.assignee = assignee
                next.state = .acknowledged
            case .approveContainment:
                guard let recommended = recommendedAction, !recommended.isEmpty else {
                    throw ReviewError(.invalidTransition, "the verdict recommends no containment to approve")
                }
                next.approvedAction = recommended
                next.approvedBy = actor
                next.approvedAt = now
                next.state = .acknowledged
            case .close(let reason):
                next.state = .closed
                next.closeReason = reason
            case .reopen:
                break
            }
        }
        next.version = version + 1
        next.updatedBy = actor
        next.updatedAt = now
        return next
    }

    /// The review as JSON (the audit log's `previous`/`new`, the API's `review`).
    public var json: JSONValue {
        var object: JSONObject = ["state": .string(state.rawValue), "version": .int(version)]
        object["assignee"] = assignee.map(JSONValue.string) ?? .null
        object["approved_action"] = approvedAction.map(JSONValue.string) ?? .null
        object["approved_by"] = approvedBy.map(JSONValue.string) ?? .null
        object["approved_at"] = approvedAt.map { JSONValue.string(RFC3339.format($0)) } ?? .null
        object["close_reason"] = closeReason.map(JSONValue.string) ?? .null
        object["updated_by"] = updatedBy.map(JSONValue.string) ?? .null
        object["updated_at"] = updatedAt.map { JSONValue.string(RFC3339.format($0)) } ?? .null
        return .object(object)
    }
}
