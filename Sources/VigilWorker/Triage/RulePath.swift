import VigilCore
import VigilRules

/// What the deterministic rule path found for one alert: the merge's rule-path input, the guardrails that apply
/// and the hygiene report of the alert's own data.
public struct RuleAssessment: Sendable {
    /// Sigma and built-in rule hits.
    public var hits: [RuleHit]
    /// The rule path's result (never CLOSE without a suppression), with the hits as evidence.
    public var rules: RulePathResult
    /// Guardrail findings for the alert, its hits and its hygiene report.
    public var guardrails: [GuardrailFinding]
    /// What sanitising the alert found (injection attempts, secrets, truncation).
    public var hygiene: HygieneReport

    public init(hits: [RuleHit], rules: RulePathResult, guardrails: [GuardrailFinding], hygiene: HygieneReport) {
        self.hits = hits
        self.rules = rules
        self.guardrails = guardrails
        self.hygiene = hygiene
    }
}

/// The rule path as a triage step sees it: one assessment per alert, and the guardrail policy to re-apply when
/// the AI path found more (instruction-like tool results).
///
/// ``RulePath`` is the implementation; the seam lets tests observe when the rule path runs relative to the AI path.
public protocol RulePathEvaluating: Sendable {
    /// Runs the rule path for `alert`, given what sanitising the alert's own data found (nil: the rule path
    /// sanitises it itself). Never throws and never closes.
    func assess(_ alert: Alert, hygiene: HygieneReport?) async -> RuleAssessment
    /// The guardrail findings for `alert` given `hits` and a hygiene report (pure).
    func guardrails(for alert: Alert, hits: [RuleHit], hygiene: HygieneReport) -> [GuardrailFinding]
}

extension RulePathEvaluating {
    /// Runs the rule path for `alert`, sanitising the alert's own data itself.
    public func assess(_ alert: Alert) async -> RuleAssessment { await assess(alert, hygiene: nil) }
}

/// The deterministic rule path shared by every triage step (DESIGN.md invariants 4 and 5).
///
/// Each alert is scrubbed for hygiene findings (injection attempts, secrets), run through the Sigma rules and
/// built-in detections (with correlation state kept across the alerts this worker sees: alerts about one principal
/// share a shard, so one worker at a time) and checked against the guardrail policy. The rule path's own decision is
/// ESCALATE on a high or critical hit and MONITOR otherwise; it never closes (closing needs a suppression rule).
///
/// An actor: the rule engine's correlation state is mutated by every alert.
public actor RulePath: RulePathEvaluating {
    private var engine: RuleEngine
    private let policy: GuardrailPolicy
    private let hygieneConfiguration: HygieneSession.Configuration

    public init(
        ruleSet: RuleSet,
        assets: AssetConfiguration = AssetConfiguration(),
        hygiene: HygieneSession.Configuration = HygieneSession.Configuration()
    ) {
        engine = RuleEngine(ruleSet: ruleSet)
        policy = GuardrailPolicy(assets: assets)
        hygieneConfiguration = hygiene
    }

    /// Vigil's built-in rules only.
    /// - Throws: when the built-in rules do not compile (a build defect).
    public static func builtin() throws -> RulePath {
        RulePath(ruleSet: try RuleSet(sources: BuiltinRules.sources))
    }

    public func assess(_ alert: Alert, hygiene given: HygieneReport?) -> RuleAssessment {
        let hygiene =
            given
            ?? {
                var session = HygieneSession(configuration: hygieneConfiguration)
                _ = session.sanitize(alert: alert)
                return session.report
            }()
        let hits = engine.evaluate(alert: alert)
        let guardrails = policy.evaluate(alert: alert, ruleHits: hits, hygiene: hygiene)
        let severe = hits.contains { ["high", "critical"].contains($0.level.lowercased()) }
        let evidence = hits.enumerated().map { index, hit in
            Evidence(id: "rule:\(index):\(hit.ruleID)", source: "rules", summary: "\(hit.title) (\(hit.level); author: \(hit.author ?? "unknown"))")
        }
        let rules = RulePathResult(decision: severe ? .escalate : .monitor, hits: hits, evidence: evidence)
        return RuleAssessment(hits: hits, rules: rules, guardrails: guardrails, hygiene: hygiene)
    }

    public nonisolated func guardrails(for alert: Alert, hits: [RuleHit], hygiene: HygieneReport) -> [GuardrailFinding] {
        policy.evaluate(alert: alert, ruleHits: hits, hygiene: hygiene)
    }
}
