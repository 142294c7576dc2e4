import Foundation
import Testing

@testable import VigilCore

@Suite struct DomainTests {
    @Test func verdictRoundTripsThroughJSONWithSnakeCaseKeys() throws {
        let verdict = Verdict(
            decision: .escalate,
            confidence: 1,
            rationale: "r",
            evidenceIDs: ["a"],
            recommendedAction: "look",
            decidedBy: .guardrail,
            guardrails: [GuardrailFinding(.secretsStore, reason: "x")],
            flags: [.aiUnavailable, .injectionSuspected, .aiUnavailable]
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(verdict)
        let json = try JSONParser().parse(data)
        #expect(json["decided_by"] == "guardrail")
        #expect(json["evidence_ids"] == ["a"])
        #expect(json["flags"] == ["ai_unavailable", "injection_suspected"])
        #expect(json["guardrails"] == [["guardrail": "secrets_store", "reason": "x"]])
        #expect(try JSONDecoder().decode(Verdict.self, from: data) == verdict)
    }

    @Test func verdictClampsConfidenceAndKeepsFlagsSortedAndUnique() {
        var verdict = Verdict(decision: .monitor, confidence: 7, rationale: "", decidedBy: .ai, flags: [.placeholder, .aiDisabled])
        #expect(verdict.confidence == 1)
        #expect(Verdict(decision: .monitor, confidence: .nan, rationale: "", decidedBy: .ai).confidence == 0)
        verdict.insert(.aiDisabled)
        verdict.insert(.inputTruncated)
        #expect(verdict.flags == [.aiDisabled, .inputTruncated, .placeholder])
    }

    @Test func verdictDescriptionCarriesNoModelText() {
        let verdict = Verdict(
            decision: .close,
            confidence: 0.9,
            rationale: "AKIAIOSFODNN7EXAMPLE",
            recommendedAction: "secret-action",
            decidedBy: .ai
        )
        #expect(!verdict.description.contains("AKIA"))
        #expect(!verdict.description.contains("secret-action"))
        #expect(verdict.debugDescription.contains("AKIA"))
    }

    @Test(arguments: [
        AIResult.verdict(AIVerdict(decision: .close, confidence: 0.8, rationale: "r", evidenceIDs: ["e"], recommendedAction: nil)),
        .invalid(reason: "x"), .unavailable(reason: "y"), .refused(reason: "z"), .timedOut(reason: "t"), .disabled,
    ])
    func aiResultRoundTrips(_ result: AIResult) throws {
        let data = try JSONEncoder().encode(result)
        #expect(try JSONDecoder().decode(AIResult.self, from: data) == result)
        #expect(try JSONParser().parse(data)["status"] == .string(result.status))
    }

    @Test func unknownAIResultStatusIsRejected() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(AIResult.self, from: Data("{\"status\":\"maybe\"}".utf8)) }
    }

    @Test func submitVerdictParsesTheSchema() throws {
        let verdict = try AIVerdict(submitVerdictInput: [
            "decision": "MONITOR", "confidence": 1, "rationale": "r", "evidence": ["a", "b", "a"], "recommended_action": "watch", "extra": true,
        ])
        #expect(verdict == AIVerdict(decision: .monitor, confidence: 1, rationale: "r", evidenceIDs: ["a", "b"], recommendedAction: "watch"))
        let minimal = try AIVerdict(submitVerdictInput: ["decision": "ESCALATE", "rationale": "r", "evidence": []])
        #expect(minimal.confidence == 0 && minimal.recommendedAction == nil)
    }

    @Test(
        arguments: [
            (JSONValue.string("CLOSE"), AIVerdictValidationError.Code.notAnObject, "$"),
            (["rationale": "r", "evidence": []], .missingField, "decision"),
            (["decision": 1, "rationale": "r", "evidence": []], .wrongType, "decision"),
            (["decision": "close", "rationale": "r", "evidence": []], .unknownDecision, "decision"),
            (["decision": "CLOSE", "confidence": "high", "rationale": "r", "evidence": []], .wrongType, "confidence"),
            (["decision": "CLOSE", "confidence": 1.01, "rationale": "r", "evidence": []], .confidenceOutOfRange, "confidence"),
            (["decision": "CLOSE", "evidence": []], .missingField, "rationale"),
            (["decision": "CLOSE", "rationale": ["r"], "evidence": []], .wrongType, "rationale"),
            (["decision": "CLOSE", "rationale": "r"], .missingField, "evidence"),
            (["decision": "CLOSE", "rationale": "r", "evidence": "a"], .wrongType, "evidence"),
            (["decision": "CLOSE", "rationale": "r", "evidence": ["a", 2]], .wrongType, "evidence[1]"),
            (["decision": "CLOSE", "rationale": "r", "evidence": [], "recommended_action": 5], .wrongType, "recommended_action"),
            (["decision": "CLOSE", "rationale": .string(String(repeating: "x", count: 8_001)), "evidence": []], .tooLong, "rationale"),
        ] as [(JSONValue, AIVerdictValidationError.Code, String)]
    )
    func submitVerdictSchemaErrors(_ input: JSONValue, _ code: AIVerdictValidationError.Code, _ field: String) {
        #expect(throws: AIVerdictValidationError(code, field: field)) { try AIVerdict(submitVerdictInput: input) }
        #expect(AIResult.fromSubmitVerdict(input, knownEvidence: []) == .invalid(reason: AIVerdictValidationError(code, field: field).description))
    }

    @Test func evidenceMustExist() {
        let verdict = AIVerdict(decision: .close, confidence: 1, rationale: "r", evidenceIDs: ["a", "zz"])
        #expect(throws: AIVerdictValidationError(.unknownEvidence, field: "evidence[1]")) { try verdict.validated(against: ["a"]) }
        #expect(throws: AIVerdictValidationError(.noEvidence, field: "evidence")) {
            try AIVerdict(decision: .close, confidence: 1, rationale: "r", evidenceIDs: []).validated(against: ["a"])
        }
        #expect(AIResult.fromSubmitVerdict(["decision": "CLOSE", "rationale": "r", "evidence": ["a"]], knownEvidence: ["a"]).verdict != nil)
    }

    @Test func guardrailClassesAreOrderedAndCodedInSnakeCase() throws {
        #expect(GuardrailClass.allCases.sorted() == GuardrailClass.allCases)
        #expect(String(decoding: try JSONEncoder().encode(GuardrailClass.credentialCompromise), as: UTF8.self) == "\"credential_compromise\"")
    }

    @Test func evidenceDescriptionOmitsTheSummary() {
        #expect(Evidence(id: "e1", source: "alert", summary: "AKIAIOSFODNN7EXAMPLE").description == "Evidence(id: e1, source: alert)")
    }
}
