import VigilCore
import VigilQueue
import VigilRules

/// The triage step when no LLM provider is configured: the deterministic rule path alone, under the
/// guardrails (DESIGN.md invariants 4 and 5).
///
/// Runs the shared ``RulePath`` and merges it with the AI path marked disabled. The rule path alone never closes:
/// without an explicit suppression it monitors what it can explain and escalates what it cannot. Verdicts carry
/// the `ai_disabled` flag, the rule hits (with their authors) as evidence, and the guardrails that applied.
public struct RulePathTriageStep: TriageStep {
    private let rulePath: any RulePathEvaluating
    private let merge: VerdictMerge

    public init(rulePath: any RulePathEvaluating, merge: VerdictMerge = VerdictMerge()) {
        self.rulePath = rulePath
        self.merge = merge
    }

    public init(
        ruleSet: RuleSet,
        assets: AssetConfiguration = AssetConfiguration(),
        merge: VerdictMerge = VerdictMerge(),
        hygiene: HygieneSession.Configuration = HygieneSession.Configuration()
    ) {
        self.init(rulePath: RulePath(ruleSet: ruleSet, assets: assets, hygiene: hygiene), merge: merge)
    }

    /// Vigil's built-in rules only.
    public static func builtin() throws -> RulePathTriageStep {
        RulePathTriageStep(rulePath: try RulePath.builtin())
    }

    public func triage(_ input: TriageInput) async throws -> TriageResult {
        try Task.checkCancellation()
        let assessment = await rulePath.assess(input.alert)
        let verdict = merge.merge(ai: .disabled, rules: assessment.rules, guardrails: assessment.guardrails, hygiene: assessment.hygiene)
        return .complete(.triage(verdict, assessment: assessment, ai: nil))
    }
}
