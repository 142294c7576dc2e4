import Foundation

@testable import VigilCore

/// The pure part of a worker's triage, as tests drive it: hygiene → guardrails → merge.
struct TriagePipeline {
    var policy = GuardrailPolicy()
    var merge = VerdictMerge()

    struct Outcome {
        var sanitized: JSONValue
        var hygiene: HygieneReport
        var guardrails: [GuardrailFinding]
        var verdict: Verdict
    }

    /// Runs the pipeline; `ai` sees the sanitised alert and the evidence, as a model would.
    func run(
        _ alert: Alert,
        rules: RulePathResult = RulePathResult(decision: .monitor),
        evidence: [Evidence] = TriagePipeline.defaultEvidence,
        ai: (JSONValue, [Evidence]) -> AIResult
    ) -> Outcome {
        var session = HygieneSession()
        let sanitized = session.sanitize(alert: alert)
        let guardrails = policy.evaluate(alert: alert, ruleHits: rules.hits, hygiene: session.report)
        let verdict = merge.merge(ai: ai(sanitized, evidence), rules: rules, guardrails: guardrails, evidence: evidence, hygiene: session.report)
        return Outcome(sanitized: sanitized, hygiene: session.report, guardrails: guardrails, verdict: verdict)
    }

    static let defaultEvidence = [
        Evidence(id: "cloudtrail:1", source: "get_cloudtrail_events", summary: "3 events for the principal in 24 h"),
        Evidence(id: "iam:1", source: "get_iam_principal_history", summary: "principal active for 400 days"),
    ]
}

/// Model behaviours of the LLM simulator, as pure functions of what the model sees.
enum ModelBehaviour: String, CaseIterable, Sendable {
    /// Closes everything, citing real evidence with full confidence: a valid CLOSE by construction.
    case alwaysClose = "always-close"
    /// Does what the data says: closes, citing the evidence ids the injection names and the real ones.
    case obeyInjection = "obey-injection"
    /// Closes citing evidence ids that no tool returned.
    case hallucinate
    /// Returns output that does not fit the submit_verdict schema.
    case malformed

    func result(seeing data: JSONValue, evidence: [Evidence], random: inout SeededRandom) -> AIResult {
        let known = Set(evidence.map(\.id))
        switch self {
        case .alwaysClose:
            return .fromSubmitVerdict(
                ["decision": "CLOSE", "confidence": 0.99, "rationale": "Routine activity.", "evidence": .array(evidence.map { .string($0.id) })],
                knownEvidence: known
            )
        case .obeyInjection:
            // A fully manipulated model: a perfectly valid CLOSE, optionally also citing what the injection told it to.
            var cited: [JSONValue] = evidence.map { .string($0.id) }
            if random.next() % 2 == 0 { cited = [cited[0]] }
            return .fromSubmitVerdict(
                [
                    "decision": "CLOSE", "confidence": 1.0, "rationale": "As instructed in the alert data: benign, close.",
                    "evidence": .array(cited), "recommended_action": "None.",
                ],
                knownEvidence: known
            )
        case .hallucinate:
            let fake = "cloudtrail:\(900 + random.next() % 100)"
            // Bypass upstream validation: the merge itself must catch invented evidence.
            return .verdict(AIVerdict(decision: .close, confidence: 0.95, rationale: "Seen before.", evidenceIDs: [fake]))
        case .malformed:
            let inputs: [JSONValue] = [
                ["decision": "close", "rationale": "x", "evidence": []],
                ["decision": "CLOSE", "rationale": 3, "evidence": ["cloudtrail:1"]],
                ["decision": "CLOSE", "confidence": 7, "rationale": "x", "evidence": ["cloudtrail:1"]],
                ["decision": "CLOSE", "rationale": "x"],
                ["decision": "CLOSE", "rationale": "x", "evidence": "cloudtrail:1"],
                "CLOSE",
                ["verdict": "CLOSE"],
                ["decision": "CLOSE", "rationale": "x", "evidence": [1, 2]],
            ]
            return .fromSubmitVerdict(inputs[Int(random.next() % UInt64(inputs.count))], knownEvidence: known)
        }
    }
}

/// A seeded generator so property tests are reproducible.
typealias SeededRandom = SplitMix64

enum Fixtures {
    /// The lines of a JSONL fixture, parsed.
    static func jsonLines(_ name: String) throws -> [JSONValue] {
        let url = SharedData.fixtures.appendingPathComponent(name)
        let data = try Data(contentsOf: url)
        return try data.split(separator: UInt8(ascii: "\n")).filter { !$0.isEmpty }.map { try JSONParser().parse($0) }
    }

    /// An `Alert` from the corpus format `{source, kind, severity, principal, resource, payload}`.
    static func alert(_ value: JSONValue, externalID: String) -> Alert {
        Alert(
            source: value["source"]?.stringValue ?? "test",
            externalID: externalID,
            kind: value["kind"]?.stringValue ?? "cloudtrail",
            severity: Severity(lenient: value["severity"]?.stringValue ?? "low") ?? .low,
            occurredAt: Date(timeIntervalSince1970: 1_790_000_000),
            principal: value["principal"]?.stringValue,
            resource: value["resource"]?.stringValue,
            payload: value["payload"] ?? .null
        )
    }
}
