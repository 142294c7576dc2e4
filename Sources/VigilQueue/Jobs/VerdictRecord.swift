import VigilCore

/// The verdict a finished job writes: the `verdict` row's own fields (the queue adds worker, epoch, attempt).
///
/// `rationale`, `evidence` and `triage` may quote alert data: they are stored, never logged.
public struct VerdictRecord: Sendable, Hashable, CustomStringConvertible {
    public var decision: Decision
    public var confidence: Double?
    public var rationale: String
    /// Which path decided (`rules`, `llm`, `placeholder`, …).
    public var decidedBy: String
    public var guardrails: [String]
    public var flags: [String]
    /// Evidence items, as JSON.
    public var evidence: [JSONValue]
    public var recommendedAction: String?
    /// Free-form details of the triage run, as a JSON object.
    public var triage: JSONObject

    public init(
        decision: Decision, confidence: Double? = nil, rationale: String, decidedBy: String, guardrails: [String] = [],
        flags: [String] = [], evidence: [JSONValue] = [], recommendedAction: String? = nil, triage: JSONObject = [:]
    ) {
        self.decision = decision
        self.confidence = confidence
        self.rationale = rationale
        self.decidedBy = decidedBy
        self.guardrails = guardrails
        self.flags = flags
        self.evidence = evidence
        self.recommendedAction = recommendedAction
        self.triage = triage
    }

    /// Decision and origin only.
    public var description: String { "Verdict(\(decision.rawValue) by \(decidedBy))" }
}
