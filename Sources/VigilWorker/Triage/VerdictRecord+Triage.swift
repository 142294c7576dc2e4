import VigilCore
import VigilLLM
import VigilQueue

extension VerdictRecord {
    /// The row the queue stores for a merged verdict: decision, the path and guardrails that decided it, its flags, the
    /// cited evidence (rule matches and tool results), and in `triage` the rule hits, the guardrails' reasons and —
    /// when the AI path ran — its result, proposed verdict and audit record (model, turns, every call's stop reason,
    /// usage, cost and latency, every tool call with its arguments).
    ///
    /// - Parameters:
    ///   - verdict: from ``VerdictMerge``.
    ///   - assessment: the rule path's.
    ///   - ai: the AI path's outcome; nil when the AI path is off.
    static func triage(_ verdict: Verdict, assessment: RuleAssessment, ai: TriageOutcome?) -> VerdictRecord {
        let cited = Set(verdict.evidenceIDs)
        let all = assessment.rules.evidence + (ai?.evidence ?? [])
        let evidenceJSON: [JSONValue] = all.filter { cited.isEmpty || cited.contains($0.id) }.map { item in
            ["id": .string(item.id), "source": .string(item.source), "summary": .string(item.summary)]
        }
        let hitsJSON: [JSONValue] = assessment.hits.map { hit in
            [
                "rule_id": .string(hit.ruleID), "title": .string(hit.title), "level": .string(hit.level),
                "author": hit.author.map(JSONValue.string) ?? .null, "tags": .array(hit.tags.map(JSONValue.string)),
            ]
        }
        var triage: JSONObject = [
            "path": ai == nil ? "rules" : "rules+ai",
            "rule_hits": .array(hitsJSON),
            "guardrail_reasons": .array(verdict.guardrails.map { .string($0.description) }),
        ]
        if let ai {
            var proposed: JSONValue = .null
            if let aiVerdict = ai.result.verdict {
                proposed = [
                    "decision": .string(aiVerdict.decision.rawValue), "confidence": .double(aiVerdict.confidence),
                    "rationale": .string(aiVerdict.rationale), "evidence": .array(aiVerdict.evidenceIDs.map(JSONValue.string)),
                    "recommended_action": aiVerdict.recommendedAction.map(JSONValue.string) ?? .null,
                ]
            }
            triage["ai"] = [
                "status": .string(ai.result.status),
                "reason": ai.result.reason.map(JSONValue.string) ?? .null,
                "proposed": proposed,
                "evidence_ids": .array(ai.evidence.map { .string($0.id) }),
                "injection_fields": .array(ai.hygiene.suspiciousFields.map { .string($0.path) }),
                "audit": ai.audit.json,
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
            triage: triage
        )
    }
}
