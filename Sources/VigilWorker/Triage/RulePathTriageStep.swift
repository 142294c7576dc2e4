import Foundation
import VigilCore
import VigilQueue
import VigilRules

/// The triage step when no LLM provider is configured: the deterministic rule path alone, under the
/// guardrails (DESIGN.md invariants 4 and 5).
///
/// Each alert is scrubbed for hygiene findings (injection attempts, secrets), run through the Sigma
/// rules and built-in detections (with correlation state kept across the alerts this worker sees:
/// alerts about one principal share a shard, so one worker at a time), checked against the guardrail
/// policy and merged with the AI path marked disabled. The rule path alone never closes: without an
/// explicit suppression it monitors what it can explain and escalates what it cannot. Verdicts carry
/// the `ai_disabled` flag, the rule hits (with their authors) as evidence, and the guardrails that applied.
///
/// An actor: the rule engine's correlation state is mutated by every alert.
public actor RulePathTriageStep: TriageStep {
    private var engine: RuleEngine
    private let policy: GuardrailPolicy
    private let merge: VerdictMerge
    private let hygieneConfiguration: HygieneSession.Configuration

    public init(
        ruleSet: RuleSet,
        assets: AssetConfiguration = AssetConfiguration(),
        merge: VerdictMerge = VerdictMerge(),
        hygiene: HygieneSession.Configuration = HygieneSession.Configuration()
    ) {
        engine = RuleEngine(ruleSet: ruleSet)
        policy = GuardrailPolicy(assets: assets)
        self.merge = merge
        hygieneConfiguration = hygiene
    }

    /// Vigil's built-in rules only.
    public static func builtin() throws -> RulePathTriageStep {
        RulePathTriageStep(ruleSet: try RuleSet(sources: BuiltinRules.sources))
    }

    public func triage(_ input: TriageInput) async throws -> TriageResult {
        try Task.checkCancellation()
        var hygiene = HygieneSession(configuration: hygieneConfiguration)
        _ = hygiene.sanitize(alert: input.alert)
        let hits = engine.evaluate(alert: input.alert)
        let guardrails = policy.evaluate(alert: input.alert, ruleHits: hits, hygiene: hygiene.report)
        let severe = hits.contains { ["high", "critical"].contains($0.level.lowercased()) }
        let evidence = hits.enumerated().map { index, hit in
            Evidence(id: "rule:\(index):\(hit.ruleID)", source: "rules", summary: "\(hit.title) (\(hit.level); author: \(hit.author ?? "unknown"))")
        }
        let rules = RulePathResult(decision: severe ? .escalate : .monitor, hits: hits, evidence: evidence)
        let verdict = merge.merge(ai: .disabled, rules: rules, guardrails: guardrails, hygiene: hygiene.report)
        return .complete(Self.record(verdict, hits: hits, evidence: evidence))
    }

    /// The row the queue stores for `verdict`.
    static func record(_ verdict: Verdict, hits: [RuleHit], evidence: [Evidence]) -> VerdictRecord {
        let cited = Set(verdict.evidenceIDs)
        let evidenceJSON: [JSONValue] = evidence.filter { cited.isEmpty || cited.contains($0.id) }.map { item in
            ["id": .string(item.id), "source": .string(item.source), "summary": .string(item.summary)]
        }
        let hitsJSON: [JSONValue] = hits.map { hit in
            [
                "rule_id": .string(hit.ruleID), "title": .string(hit.title), "level": .string(hit.level),
                "author": hit.author.map(JSONValue.string) ?? .null, "tags": .array(hit.tags.map(JSONValue.string)),
            ]
        }
        return VerdictRecord(
            decision: verdict.decision,
            confidence: verdict.confidence,
            rationale: verdict.rationale,
            decidedBy: verdict.decidedBy.rawValue,
            guardrails: verdict.guardrailClasses.map(\.rawValue),
            flags: verdict.flags.map(\.rawValue),
            evidence: evidenceJSON,
            recommendedAction: verdict.recommendedAction,
            triage: [
                "path": "rules",
                "rule_hits": .array(hitsJSON),
                "guardrail_reasons": .array(verdict.guardrails.map { .string($0.description) }),
            ]
        )
    }
}
