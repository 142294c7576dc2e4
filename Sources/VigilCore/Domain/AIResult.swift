/// What the AI path produced for one alert.
///
/// Only ``verdict(_:)`` carries a decision, and the merge re-checks its evidence. Every other case makes the rule
/// path decide alone (DESIGN.md invariant 5). Reasons are Vigil's own words (error codes, stop reasons), never
/// model output.
public enum AIResult: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A verdict that parsed and fit the schema.
    case verdict(AIVerdict)
    /// The model answered but the answer is unusable (did not parse, wrong schema, unknown evidence, …).
    case invalid(reason: String)
    /// The provider failed, was overloaded, or the circuit breaker was open.
    case unavailable(reason: String)
    /// The model refused (`stop_reason: refusal` or equivalent).
    case refused(reason: String)
    /// No verdict within the per-alert deadline, turn limit or token limit.
    case timedOut(reason: String)
    /// No AI provider is configured.
    case disabled

    /// The flag a verdict carries for this result, if any.
    public var flag: VerdictFlag? {
        switch self {
        case .verdict: nil
        case .invalid: .aiInvalid
        case .unavailable: .aiUnavailable
        case .refused: .aiRefused
        case .timedOut: .aiTimedOut
        case .disabled: .aiDisabled
        }
    }

    public var verdict: AIVerdict? { if case .verdict(let v) = self { v } else { nil } }

    public var status: String {
        switch self {
        case .verdict: "verdict"
        case .invalid: "invalid"
        case .unavailable: "unavailable"
        case .refused: "refused"
        case .timedOut: "timed_out"
        case .disabled: "disabled"
        }
    }

    public var reason: String? {
        switch self {
        case .invalid(let r), .unavailable(let r), .refused(let r), .timedOut(let r): r
        case .verdict, .disabled: nil
        }
    }

    public var description: String {
        switch self {
        case .verdict(let v): "AIResult.verdict(\(v))"
        default: "AIResult.\(status)(\(reason ?? ""))"
        }
    }

    enum CodingKeys: String, CodingKey { case status, verdict, reason }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let status = try c.decode(String.self, forKey: .status)
        let reason = try c.decodeIfPresent(String.self, forKey: .reason) ?? ""
        switch status {
        case "verdict": self = .verdict(try c.decode(AIVerdict.self, forKey: .verdict))
        case "invalid": self = .invalid(reason: reason)
        case "unavailable": self = .unavailable(reason: reason)
        case "refused": self = .refused(reason: reason)
        case "timed_out": self = .timedOut(reason: reason)
        case "disabled": self = .disabled
        default:
            throw DecodingError.dataCorruptedError(forKey: .status, in: c, debugDescription: "unknown AI result status")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(status, forKey: .status)
        if let verdict { try c.encode(verdict, forKey: .verdict) }
        try c.encodeIfPresent(reason, forKey: .reason)
    }
}

extension AIResult {
    /// Validates a `submit_verdict` input against the schema and the evidence this conversation's tools returned.
    ///
    /// Returns ``verdict(_:)`` when it passes and ``invalid(reason:)`` (with the error's code and field) otherwise.
    public static func fromSubmitVerdict(_ input: JSONValue, knownEvidence: Set<String>) -> AIResult {
        do throws(AIVerdictValidationError) {
            return .verdict(try AIVerdict(submitVerdictInput: input).validated(against: knownEvidence))
        } catch {
            return .invalid(reason: error.description)
        }
    }
}
