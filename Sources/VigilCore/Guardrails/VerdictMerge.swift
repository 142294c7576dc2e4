/// Combines the rule path, the AI path and the guardrails into one verdict (DESIGN.md invariants 3–5).
///
/// In order, the first that holds decides:
/// 1. any guardrail applies → **ESCALATE** (``VerdictPath/guardrail``), whatever either path said;
/// 2. the rule path escalates → **ESCALATE** (``VerdictPath/rules``);
/// 3. the AI's valid verdict escalates → **ESCALATE** (``VerdictPath/ai``);
/// 4. an explicit suppression rule matched → **CLOSE** (``VerdictPath/suppression``);
/// 5. the AI result is missing or unusable (disabled, unavailable, refused, timed out, invalid, or a verdict whose
///    evidence does not check out) → **ESCALATE** (``VerdictPath/uncertainty``) unless the rule path explains the
///    behaviour, then **MONITOR** (``VerdictPath/rules``): the rule path alone never closes;
/// 6. the AI closes with valid evidence and at least ``Configuration/minimumCloseConfidence`` → **CLOSE**
///    (``VerdictPath/ai``); a less confident close → **MONITOR**;
/// 7. otherwise → **MONITOR** (``VerdictPath/ai``).
///
/// The AI's verdict is re-validated here, whoever validated it before: every cited evidence id must be in the
/// evidence the tools (or the rule path) produced, and a CLOSE must cite at least one. A verdict that fails is
/// treated as missing and flagged `ai_invalid`. The recommended action is text for a human; nothing here or
/// downstream executes it.
public struct VerdictMerge: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Least confidence for an AI CLOSE to stand (default 0.7); below it the alert is monitored.
        public var minimumCloseConfidence: Double

        public init(minimumCloseConfidence: Double = 0.7) {
            self.minimumCloseConfidence = minimumCloseConfidence
        }
    }

    public var configuration: Configuration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The default text for a person when Vigil escalates without the AI's own recommendation.
    public static let reviewAction = "Review the alert and its evidence. Vigil has taken no action; any containment needs a named approver."

    /// Merges the two paths under the guardrails.
    /// - Parameters:
    ///   - ai: the AI path's result (``AIResult/disabled`` when no provider is configured).
    ///   - rules: the rule path's result.
    ///   - guardrails: from ``GuardrailPolicy/evaluate(alert:ruleHits:hygiene:)``.
    ///   - evidence: every piece of evidence the tools returned in this alert's conversation.
    ///   - hygiene: the hygiene report, for its flags.
    public func merge(
        ai: AIResult,
        rules: RulePathResult,
        guardrails: [GuardrailFinding],
        evidence: [Evidence] = [],
        hygiene: HygieneReport? = nil
    ) -> Verdict {
        var flags = Set(hygiene?.flags ?? [])
        if let flag = ai.flag { flags.insert(flag) }
        if guardrails.contains(where: { $0.guardrail == .injectionSuspected }) { flags.insert(.injectionSuspected) }

        let known = Set(evidence.map(\.id) + rules.evidence.map(\.id))
        var aiVerdict: AIVerdict?
        var aiProblem: String?
        if let proposed = ai.verdict {
            do throws(AIVerdictValidationError) {
                aiVerdict = try proposed.validated(against: known)
                if !(proposed.confidence.isFinite && (0...1).contains(proposed.confidence)) {
                    throw AIVerdictValidationError(.confidenceOutOfRange, field: "confidence")
                }
            } catch {
                aiVerdict = nil
                aiProblem = error.description
                flags.insert(.aiInvalid)
            }
        } else {
            aiProblem = ai.reason ?? ai.status
        }
        let ruleEvidence = rules.evidence.map(\.id)
        let aiEvidence = aiVerdict?.evidenceIDs ?? []

        func verdict(
            _ decision: Decision,
            _ confidence: Double,
            _ rationale: String,
            by path: VerdictPath,
            evidence: [String],
            action: String?
        ) -> Verdict {
            var all = flags
            if let aiVerdict, aiVerdict.decision != decision, decision == .escalate || path != .ai { all.insert(.aiOverruled) }
            return Verdict(
                decision: decision,
                confidence: confidence,
                rationale: rationale,
                evidenceIDs: Self.unique(evidence),
                recommendedAction: action,
                decidedBy: path,
                guardrails: guardrails,
                flags: all
            )
        }

        // 1. Guardrails.
        if !guardrails.isEmpty {
            let classes = Array(Set(guardrails.map(\.guardrail))).sorted().map(\.rawValue).joined(separator: ", ")
            var rationale = "Guardrails apply (\(classes)): " + guardrails.map(\.reason).joined(separator: "; ") + "."
            if let aiVerdict { rationale += " AI path proposed \(aiVerdict.decision.rawValue)." }
            if let aiProblem { rationale += " AI path gave no usable verdict (\(aiProblem))." }
            let action = aiVerdict?.decision == .escalate ? aiVerdict?.recommendedAction ?? Self.reviewAction : Self.reviewAction
            return verdict(.escalate, 1, rationale, by: .guardrail, evidence: aiEvidence + ruleEvidence, action: action)
        }
        // 2. The rule path escalates.
        if rules.decision == .escalate {
            let rationale = "Rule path escalated: " + (rules.hits.isEmpty ? "no rule named" : rules.hits.map(\.ruleID).joined(separator: ", ")) + "."
            return verdict(.escalate, 1, rationale, by: .rules, evidence: ruleEvidence + aiEvidence, action: Self.reviewAction)
        }
        // 3. The AI escalates.
        if let aiVerdict, aiVerdict.decision == .escalate {
            return verdict(
                .escalate,
                aiVerdict.confidence,
                aiVerdict.rationale,
                by: .ai,
                evidence: aiEvidence,
                action: aiVerdict.recommendedAction ?? Self.reviewAction
            )
        }
        // 4. Suppression.
        if let suppression = rules.suppression {
            return verdict(
                .close,
                1,
                "Suppressed by rule \(suppression.ruleID): \(suppression.reason)",
                by: .suppression,
                evidence: ruleEvidence,
                action: nil
            )
        }
        // 5. No usable AI verdict: the rule path alone, which never closes.
        guard let aiVerdict else {
            if let explanation = rules.explanation {
                return verdict(
                    .monitor,
                    0.5,
                    "AI path gave no usable verdict (\(aiProblem ?? "none")); rule path explains: \(explanation)",
                    by: .rules,
                    evidence: ruleEvidence,
                    action: nil
                )
            }
            return verdict(
                .escalate,
                1,
                "AI path gave no usable verdict (\(aiProblem ?? "none")) and the rule path cannot explain the behaviour.",
                by: .uncertainty,
                evidence: ruleEvidence,
                action: Self.reviewAction
            )
        }
        // 6–7. The AI's valid CLOSE or MONITOR.
        if aiVerdict.decision == .close {
            if aiVerdict.confidence >= configuration.minimumCloseConfidence {
                return verdict(.close, aiVerdict.confidence, aiVerdict.rationale, by: .ai, evidence: aiEvidence, action: nil)
            }
            return verdict(
                .monitor,
                aiVerdict.confidence,
                "AI proposed CLOSE with low confidence: \(aiVerdict.rationale)",
                by: .ai,
                evidence: aiEvidence,
                action: aiVerdict.recommendedAction
            )
        }
        return verdict(.monitor, aiVerdict.confidence, aiVerdict.rationale, by: .ai, evidence: aiEvidence, action: aiVerdict.recommendedAction)
    }

    static func unique(_ ids: [String]) -> [String] {
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }
    }
}
