import Foundation
import Testing

@testable import VigilCore

@Suite struct VerdictMergeTests {
    let merge = VerdictMerge()
    let evidence = TriagePipeline.defaultEvidence
    let guardrail = [GuardrailFinding(.persistence, reason: "event CreateRole (iam.amazonaws.com)")]

    func ai(_ decision: Decision, confidence: Double = 0.9, evidence: [String] = ["cloudtrail:1"]) -> AIResult {
        .verdict(AIVerdict(decision: decision, confidence: confidence, rationale: "model says", evidenceIDs: evidence, recommendedAction: "look"))
    }

    static let failures: [AIResult] = [
        .disabled, .unavailable(reason: "circuit open"), .refused(reason: "refusal"), .timedOut(reason: "deadline"), .invalid(reason: "bad json"),
    ]

    @Test func validAICloseWithoutGuardrailsCloses() {
        let verdict = merge.merge(ai: ai(.close), rules: RulePathResult(decision: .monitor), guardrails: [], evidence: evidence)
        #expect(verdict.decision == .close)
        #expect(verdict.decidedBy == .ai)
        #expect(verdict.evidenceIDs == ["cloudtrail:1"])
        #expect(verdict.flags.isEmpty)
        #expect(verdict.recommendedAction == nil)
    }

    @Test(arguments: Decision.allCases)
    func anyGuardrailEscalatesWhateverTheAISays(_ decision: Decision) {
        let verdict = merge.merge(
            ai: ai(decision, confidence: 1),
            rules: RulePathResult(decision: .monitor),
            guardrails: guardrail,
            evidence: evidence
        )
        #expect(verdict.decision == .escalate)
        #expect(verdict.decidedBy == .guardrail)
        #expect(verdict.guardrailClasses == [.persistence])
        #expect(verdict.rationale.contains("persistence"))
        #expect(verdict.has(.aiOverruled) == (decision != .escalate))
    }

    @Test func guardrailsBeatSuppressions() {
        let rules = RulePathResult(decision: .monitor, suppression: Suppression(ruleID: "s-1", reason: "backup job"))
        #expect(merge.merge(ai: .disabled, rules: rules, guardrails: guardrail).decision == .escalate)
    }

    @Test func ruleEscalationWins() {
        let rules = RulePathResult(decision: .escalate, hits: [RuleHit(ruleID: "sigma-1", title: "t", level: "high")])
        let verdict = merge.merge(ai: ai(.close), rules: rules, guardrails: [], evidence: evidence)
        #expect(verdict.decision == .escalate)
        #expect(verdict.decidedBy == .rules)
        #expect(verdict.rationale.contains("sigma-1"))
        #expect(verdict.has(.aiOverruled))
    }

    @Test func aiEscalationWinsOverMonitoringRules() {
        let verdict = merge.merge(ai: ai(.escalate), rules: RulePathResult(decision: .monitor), guardrails: [], evidence: evidence)
        #expect(verdict.decision == .escalate)
        #expect(verdict.decidedBy == .ai)
        #expect(verdict.recommendedAction == "look")
    }

    @Test func explicitSuppressionCloses() {
        let rules = RulePathResult(decision: .monitor, suppression: Suppression(ruleID: "s-1", reason: "nightly backup", author: "alice"))
        for result in Self.failures + [ai(.monitor), ai(.close)] {
            let verdict = merge.merge(ai: result, rules: rules, guardrails: [], evidence: evidence)
            #expect(verdict.decision == .close)
            #expect(verdict.decidedBy == .suppression)
        }
        // …but not when the AI escalates.
        #expect(merge.merge(ai: ai(.escalate), rules: rules, guardrails: [], evidence: evidence).decision == .escalate)
    }

    @Test(arguments: failures)
    func withoutAUsableAIVerdictTheRulePathDecidesAndNeverCloses(_ result: AIResult) {
        let unexplained = merge.merge(ai: result, rules: RulePathResult(decision: .monitor), guardrails: [], evidence: evidence)
        #expect(unexplained.decision == .escalate)
        #expect(unexplained.decidedBy == .uncertainty)
        #expect(unexplained.has(result.flag!))

        let explained = merge.merge(
            ai: result,
            rules: RulePathResult(decision: .monitor, explanation: "terraform-ci applies nightly"),
            guardrails: [],
            evidence: evidence
        )
        #expect(explained.decision == .monitor)
        #expect(explained.decidedBy == .rules)
        #expect(explained.rationale.contains("terraform-ci"))
    }

    @Test func ruleDecisionCloseIsReadAsMonitor() {
        #expect(RulePathResult(decision: .close).decision == .monitor)
        let verdict = merge.merge(ai: .disabled, rules: RulePathResult(decision: .close, explanation: "known"), guardrails: [])
        #expect(verdict.decision == .monitor)
    }

    @Test func hallucinatedEvidenceMakesTheAIResultInvalid() {
        let verdict = merge.merge(
            ai: ai(.close, evidence: ["cloudtrail:1", "cloudtrail:99"]),
            rules: RulePathResult(decision: .monitor),
            guardrails: [],
            evidence: evidence
        )
        #expect(verdict.decision == .escalate)
        #expect(verdict.decidedBy == .uncertainty)
        #expect(verdict.has(.aiInvalid))
        #expect(verdict.rationale.contains("cites evidence that no tool returned"))
    }

    @Test func closeWithoutEvidenceIsInvalid() {
        let verdict = merge.merge(ai: ai(.close, evidence: []), rules: RulePathResult(decision: .monitor), guardrails: [], evidence: evidence)
        #expect(verdict.decision == .escalate)
        #expect(verdict.has(.aiInvalid))
    }

    @Test func ruleEvidenceCanBeCited() {
        let rules = RulePathResult(decision: .monitor, evidence: [Evidence(id: "rule:sigma-1", source: "rules", summary: "match")])
        let verdict = merge.merge(ai: ai(.close, evidence: ["rule:sigma-1"]), rules: rules, guardrails: [], evidence: [])
        #expect(verdict.decision == .close)
    }

    @Test func lowConfidenceCloseIsMonitored() {
        let verdict = merge.merge(ai: ai(.close, confidence: 0.4), rules: RulePathResult(decision: .monitor), guardrails: [], evidence: evidence)
        #expect(verdict.decision == .monitor)
        #expect(verdict.decidedBy == .ai)
        let strict = VerdictMerge(configuration: .init(minimumCloseConfidence: 0.95))
        #expect(
            strict.merge(ai: ai(.close, confidence: 0.9), rules: RulePathResult(decision: .monitor), guardrails: [], evidence: evidence)
                .decision == .monitor
        )
    }

    @Test func outOfRangeConfidenceIsInvalid() {
        for confidence in [Double.nan, -0.1, 1.5, .infinity] {
            let verdict = merge.merge(
                ai: ai(.close, confidence: confidence),
                rules: RulePathResult(decision: .monitor),
                guardrails: [],
                evidence: evidence
            )
            #expect(verdict.decision == .escalate)
            #expect(verdict.has(.aiInvalid))
        }
    }

    @Test func aiMonitorStands() {
        let verdict = merge.merge(ai: ai(.monitor), rules: RulePathResult(decision: .monitor), guardrails: [], evidence: evidence)
        #expect(verdict.decision == .monitor)
        #expect(verdict.decidedBy == .ai)
    }

    @Test func hygieneFlagsAreCarried() {
        var session = HygieneSession(configuration: .init(maxStringLength: 4))
        _ = session.sanitize(["k": "AKIAIOSFODNN7EXAMPLE"], document: "d")
        let verdict = merge.merge(
            ai: ai(.monitor),
            rules: RulePathResult(decision: .monitor),
            guardrails: [],
            evidence: evidence,
            hygiene: session.report
        )
        #expect(verdict.flags == [.inputTruncated, .secretsRedacted])
    }

    @Test func injectionGuardrailSetsTheFlag() {
        let verdict = merge.merge(
            ai: ai(.close),
            rules: RulePathResult(decision: .monitor),
            guardrails: [GuardrailFinding(.injectionSuspected, reason: "x")],
            evidence: evidence
        )
        #expect(verdict.has(.injectionSuspected))
        #expect(verdict.decision == .escalate)
    }

    /// Exhaustive over the inputs that matter: whether a guardrail applies, the rule decision, explanation,
    /// suppression, and every kind of AI result. Checks the merge's contract as stated, in one place.
    @Test func exhaustiveDecisionTable() {
        let aiResults: [AIResult] = Self.failures + Decision.allCases.map { ai($0) } + [ai(.close, confidence: 0.1), ai(.close, evidence: ["nope"])]
        var combinations = 0
        for hasGuardrail in [false, true] {
            for ruleDecision in [Decision.monitor, .escalate] {
                for explanation in [nil, "explained"] as [String?] {
                    for suppression in [nil, Suppression(ruleID: "s", reason: "r")] as [Suppression?] {
                        for result in aiResults {
                            combinations += 1
                            let rules = RulePathResult(decision: ruleDecision, explanation: explanation, suppression: suppression)
                            let verdict = merge.merge(ai: result, rules: rules, guardrails: hasGuardrail ? guardrail : [], evidence: evidence)
                            let validAI: AIVerdict? = {
                                guard let v = result.verdict, v.evidenceIDs.allSatisfy({ id in evidence.contains { $0.id == id } }),
                                    !(v.decision == .close && v.evidenceIDs.isEmpty)
                                else { return nil }
                                return v
                            }()
                            let expected: Decision =
                                if hasGuardrail || ruleDecision == .escalate || validAI?.decision == .escalate {
                                    .escalate
                                } else if suppression != nil { .close } else if validAI == nil {
                                    explanation == nil ? .escalate : .monitor
                                } else if validAI!.decision == .close && validAI!.confidence >= 0.7 { .close } else { .monitor }
                            #expect(verdict.decision == expected, "guardrail \(hasGuardrail) rules \(ruleDecision) \(result)")
                            if verdict.decision == .close {
                                #expect(!hasGuardrail)
                                #expect(verdict.decidedBy == .suppression || (verdict.decidedBy == .ai && validAI?.decision == .close))
                            }
                        }
                    }
                }
            }
        }
        #expect(combinations == 2 * 2 * 2 * 2 * aiResults.count)
    }
}
