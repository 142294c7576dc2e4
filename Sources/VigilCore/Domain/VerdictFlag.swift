/// A fact about how a verdict came about, recorded on it for the reviewer and for audit.
public struct VerdictFlag: RawRepresentable, Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// No AI provider is configured: the rule path decided alone.
    public static let aiDisabled = VerdictFlag(rawValue: "ai_disabled")
    /// The provider could not be reached, was overloaded or the circuit breaker was open.
    public static let aiUnavailable = VerdictFlag(rawValue: "ai_unavailable")
    /// The model answered, but its verdict did not parse, did not fit the schema or cited unknown evidence.
    public static let aiInvalid = VerdictFlag(rawValue: "ai_invalid")
    /// The model refused to answer.
    public static let aiRefused = VerdictFlag(rawValue: "ai_refused")
    /// The model did not submit a verdict within the per-alert deadline or turn limit.
    public static let aiTimedOut = VerdictFlag(rawValue: "ai_timed_out")
    /// The AI's decision was overruled (raised) by a guardrail or by the rule path.
    public static let aiOverruled = VerdictFlag(rawValue: "ai_overruled")
    /// The alert's data looked like an instruction to the model.
    public static let injectionSuspected = VerdictFlag(rawValue: "injection_suspected")
    /// Secrets were redacted from the alert before it reached the model.
    public static let secretsRedacted = VerdictFlag(rawValue: "secrets_redacted")
    /// Fields were truncated or dropped to fit the size bounds.
    public static let inputTruncated = VerdictFlag(rawValue: "input_truncated")
    /// The verdict was written by a placeholder triage step, not a real assessment.
    public static let placeholder = VerdictFlag(rawValue: "placeholder")

    public var description: String { rawValue }
    public static func < (lhs: VerdictFlag, rhs: VerdictFlag) -> Bool { lhs.rawValue < rhs.rawValue }
}
