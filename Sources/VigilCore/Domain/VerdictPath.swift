/// Which part of the triage decided a verdict.
public enum VerdictPath: String, Sendable, Hashable, Codable, CaseIterable {
    /// The AI path's valid verdict stood.
    case ai
    /// The rule path's decision stood (it escalated, or the AI was off or failed and the rules explained the behaviour).
    case rules
    /// A guardrail class forced ESCALATE.
    case guardrail
    /// An explicit suppression rule closed the alert.
    case suppression
    /// Neither path could explain the behaviour, so Vigil escalated because it was uncertain (invariant 5).
    case uncertainty
}
