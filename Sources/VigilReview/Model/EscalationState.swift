/// Where an escalation stands in human review.
public enum EscalationState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Not yet looked at (also every escalation without a review row).
    case open
    /// An analyst has taken it up (acknowledged, assigned or approved containment).
    case acknowledged
    /// Closed with a reason.
    case closed
}
