import VigilCore
import VigilQueue

/// The triage step until the rule and LLM paths exist: records a placeholder verdict, marked as such, that
/// always ESCALATEs (a placeholder never closes anything).
///
/// `simulatedWork` makes each run last that long (cancellably), for tests and benchmarks of slow steps.
public struct PlaceholderTriageStep: TriageStep {
    /// `decided_by` of placeholder verdicts.
    public static let decidedBy = "placeholder"
    /// The flag every placeholder verdict carries.
    public static let flag = "placeholder"

    public var simulatedWork: Duration

    public init(simulatedWork: Duration = .zero) {
        self.simulatedWork = simulatedWork
    }

    public func triage(_ input: TriageInput) async throws -> TriageResult {
        if simulatedWork > .zero { try await Task.sleep(for: simulatedWork) }
        return .complete(
            VerdictRecord(
                decision: .escalate, rationale: "Placeholder verdict: no triage ran yet; escalated for a person to review.",
                decidedBy: Self.decidedBy, flags: [Self.flag],
                recommendedAction: "Review the alert by hand."))
    }
}
