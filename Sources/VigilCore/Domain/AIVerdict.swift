/// The verdict a model submitted through the `submit_verdict` tool, after schema validation.
///
/// Whether its evidence exists is checked against the conversation's tool results by
/// ``AIVerdict/validated(against:)`` and again by ``VerdictMerge``; a model's word alone proves nothing.
public struct AIVerdict: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
    public var decision: Decision
    public var confidence: Double
    public var rationale: String
    public var evidenceIDs: [String]
    public var recommendedAction: String?

    public init(decision: Decision, confidence: Double, rationale: String, evidenceIDs: [String], recommendedAction: String? = nil) {
        self.decision = decision
        self.confidence = confidence
        self.rationale = rationale
        self.evidenceIDs = evidenceIDs
        self.recommendedAction = recommendedAction
    }

    enum CodingKeys: String, CodingKey {
        case decision, confidence, rationale
        case evidenceIDs = "evidence"
        case recommendedAction = "recommended_action"
    }

    public var description: String { "AIVerdict(\(decision.rawValue), confidence: \(confidence), evidence: \(evidenceIDs.count) ids)" }
    public var debugDescription: String { "\(description) rationale: \(rationale) evidence: \(evidenceIDs)" }
}

/// Why a model's `submit_verdict` input was rejected. `description` names the field, never its value.
public struct AIVerdictValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let notAnObject = Code("verdict is not a JSON object")
        public static let missingField = Code("required field missing")
        public static let wrongType = Code("field has the wrong type")
        public static let unknownDecision = Code("decision is not ESCALATE, MONITOR or CLOSE")
        public static let confidenceOutOfRange = Code("confidence is not between 0 and 1")
        public static let unknownEvidence = Code("cites evidence that no tool returned")
        public static let noEvidence = Code("CLOSE cites no evidence")
        public static let tooLong = Code("field too long")
    }

    public var code: Code
    /// The schema field at fault (`decision`, `evidence[2]`, …).
    public var field: String

    public init(_ code: Code, field: String) {
        self.code = code
        self.field = field
    }

    public var description: String { "\(code) (\(field))" }
}

extension AIVerdict {
    /// Longest rationale or recommended action accepted, in characters.
    public static let maxTextLength = 8_000
    /// Most evidence ids accepted.
    public static let maxEvidenceCount = 64

    /// Reads a `submit_verdict` tool input strictly against its schema.
    ///
    /// Required: `decision` (`ESCALATE` | `MONITOR` | `CLOSE`), `rationale` (string), `evidence` (array of strings).
    /// Optional: `confidence` (number 0–1, default 0), `recommended_action` (string). Unknown members are ignored.
    /// - Throws: ``AIVerdictValidationError`` naming the first field at fault.
    public init(submitVerdictInput input: JSONValue) throws(AIVerdictValidationError) {
        guard case .object(let object) = input else { throw AIVerdictValidationError(.notAnObject, field: "$") }
        guard let decisionValue = object["decision"] else { throw AIVerdictValidationError(.missingField, field: "decision") }
        guard let decisionText = decisionValue.stringValue else { throw AIVerdictValidationError(.wrongType, field: "decision") }
        guard let decision = Decision(rawValue: decisionText) else { throw AIVerdictValidationError(.unknownDecision, field: "decision") }

        var confidence = 0.0
        if let value = object["confidence"], !value.isNull {
            guard let number = value.doubleValue else { throw AIVerdictValidationError(.wrongType, field: "confidence") }
            guard number.isFinite, (0...1).contains(number) else {
                throw AIVerdictValidationError(.confidenceOutOfRange, field: "confidence")
            }
            confidence = number
        }

        guard let rationaleValue = object["rationale"] else { throw AIVerdictValidationError(.missingField, field: "rationale") }
        guard let rationale = rationaleValue.stringValue else { throw AIVerdictValidationError(.wrongType, field: "rationale") }
        guard rationale.count <= Self.maxTextLength else { throw AIVerdictValidationError(.tooLong, field: "rationale") }

        guard let evidenceValue = object["evidence"] else { throw AIVerdictValidationError(.missingField, field: "evidence") }
        guard let items = evidenceValue.arrayValue else { throw AIVerdictValidationError(.wrongType, field: "evidence") }
        guard items.count <= Self.maxEvidenceCount else { throw AIVerdictValidationError(.tooLong, field: "evidence") }
        var ids: [String] = []
        for (index, item) in items.enumerated() {
            guard let id = item.stringValue else { throw AIVerdictValidationError(.wrongType, field: "evidence[\(index)]") }
            if !ids.contains(id) { ids.append(id) }
        }

        var action: String?
        if let value = object["recommended_action"], !value.isNull {
            guard let text = value.stringValue else { throw AIVerdictValidationError(.wrongType, field: "recommended_action") }
            guard text.count <= Self.maxTextLength else { throw AIVerdictValidationError(.tooLong, field: "recommended_action") }
            action = text
        }
        self.init(decision: decision, confidence: confidence, rationale: rationale, evidenceIDs: ids, recommendedAction: action)
    }

    /// Checks that every cited id names evidence in `known`, and that a CLOSE cites at least one.
    /// - Throws: ``AIVerdictValidationError`` `.unknownEvidence` naming the first unknown id's position, or `.noEvidence`.
    public func validated(against known: Set<String>) throws(AIVerdictValidationError) -> AIVerdict {
        for (index, id) in evidenceIDs.enumerated() where !known.contains(id) {
            throw AIVerdictValidationError(.unknownEvidence, field: "evidence[\(index)]")
        }
        if decision == .close, evidenceIDs.isEmpty { throw AIVerdictValidationError(.noEvidence, field: "evidence") }
        return self
    }
}
