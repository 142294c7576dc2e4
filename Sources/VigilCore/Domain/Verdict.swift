/// Vigil's final recommendation for one alert, with what decided it.
///
/// A verdict is advice for people: `recommendedAction` is text for a human to approve or not. Nothing in Vigil
/// executes it (DESIGN.md invariant 3). `rationale` and `recommendedAction` may echo model output, so they appear
/// only in `debugDescription`, never in `description`.
public struct Verdict: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
    public var decision: Decision
    /// 0–1: how sure the deciding path is.
    public var confidence: Double
    public var rationale: String
    /// Ids of the ``Evidence`` this verdict relies on; each exists in what the tools returned.
    public var evidenceIDs: [String]
    /// What a person should consider doing; never done by Vigil.
    public var recommendedAction: String?
    /// Which path decided.
    public var decidedBy: VerdictPath
    /// Every guardrail finding that applied (empty when none did).
    public var guardrails: [GuardrailFinding]
    /// Sorted, without repeats.
    public private(set) var flags: [VerdictFlag]

    public init(
        decision: Decision,
        confidence: Double,
        rationale: String,
        evidenceIDs: [String] = [],
        recommendedAction: String? = nil,
        decidedBy: VerdictPath,
        guardrails: [GuardrailFinding] = [],
        flags: some Sequence<VerdictFlag> = []
    ) {
        self.decision = decision
        self.confidence = min(max(confidence.isFinite ? confidence : 0, 0), 1)
        self.rationale = rationale
        self.evidenceIDs = evidenceIDs
        self.recommendedAction = recommendedAction
        self.decidedBy = decidedBy
        self.guardrails = guardrails
        self.flags = Array(Set(flags)).sorted()
    }

    /// Whether the verdict carries `flag`.
    public func has(_ flag: VerdictFlag) -> Bool { flags.contains(flag) }

    /// Adds `flag` if absent.
    public mutating func insert(_ flag: VerdictFlag) {
        guard !flags.contains(flag) else { return }
        flags.append(flag)
        flags.sort()
    }

    /// The guardrail classes that applied, sorted, without repeats.
    public var guardrailClasses: [GuardrailClass] { Array(Set(guardrails.map(\.guardrail))).sorted() }

    enum CodingKeys: String, CodingKey {
        case decision, confidence, rationale
        case evidenceIDs = "evidence_ids"
        case recommendedAction = "recommended_action"
        case decidedBy = "decided_by"
        case guardrails, flags
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            decision: try c.decode(Decision.self, forKey: .decision),
            confidence: try c.decode(Double.self, forKey: .confidence),
            rationale: try c.decode(String.self, forKey: .rationale),
            evidenceIDs: try c.decodeIfPresent([String].self, forKey: .evidenceIDs) ?? [],
            recommendedAction: try c.decodeIfPresent(String.self, forKey: .recommendedAction),
            decidedBy: try c.decode(VerdictPath.self, forKey: .decidedBy),
            guardrails: try c.decodeIfPresent([GuardrailFinding].self, forKey: .guardrails) ?? [],
            flags: try c.decodeIfPresent([VerdictFlag].self, forKey: .flags) ?? []
        )
    }

    /// Decision, path, guardrail classes and flags: nothing derived from payload or model text.
    public var description: String {
        let classes = guardrailClasses.map(\.rawValue).joined(separator: ",")
        return "Verdict(\(decision.rawValue), decidedBy: \(decidedBy.rawValue), guardrails: [\(classes)], flags: \(flags))"
    }

    public var debugDescription: String {
        "\(description) rationale: \(rationale) evidence: \(evidenceIDs) action: \(recommendedAction ?? "-")"
    }
}
