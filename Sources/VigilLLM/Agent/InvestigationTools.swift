import VigilCore

/// The read-only tools the triage agent may offer the model (DESIGN.md, "The agent's tools"), behind a small seam
/// so the agent is tested without a database. The enrichment module's tool registry adapts to it.
public protocol InvestigationTools: Sendable {
    /// The tools offered to the model, `submit_verdict` excluded (the agent adds it).
    var toolDefinitions: [LLMToolDefinition] { get }
    /// Runs one tool. Never throws: a failure is a result with `isError` that the model can read.
    /// - Parameter arguments: a JSON object, already parsed from the model's call.
    func call(name: String, arguments: JSONValue) async -> InvestigationToolResult
}

/// What a tool returned: untrusted data for the model, and the evidence ids a verdict may cite from it.
public struct InvestigationToolResult: Sendable, Hashable, CustomStringConvertible {
    /// True when the call was refused or failed.
    public var isError: Bool
    /// The answer. Untrusted: it goes to the model only through the hygiene session.
    public var content: JSONValue
    /// The evidence ids in `content` (`evidence_id` members), which a verdict may cite.
    public var evidenceIDs: [String]

    public init(isError: Bool = false, content: JSONValue, evidenceIDs: [String]? = nil) {
        self.isError = isError
        self.content = content
        self.evidenceIDs = evidenceIDs ?? Self.evidenceIDs(in: content)
    }

    /// A failed call with a message for the model (Vigil's own text).
    public static func failure(_ message: String) -> InvestigationToolResult {
        InvestigationToolResult(isError: true, content: ["error": ["message": .string(message)]], evidenceIDs: [])
    }

    /// Every `evidence_id` string in `value`, depth first, without repeats.
    public static func evidenceIDs(in value: JSONValue) -> [String] {
        var ids: [String] = []
        func walk(_ value: JSONValue) {
            switch value {
            case .object(let object):
                if let id = object["evidence_id"]?.stringValue, !ids.contains(id) { ids.append(id) }
                for member in object { walk(member.value) }
            case .array(let items): items.forEach(walk)
            default: break
            }
        }
        walk(value)
        return ids
    }

    /// Whether it failed and how much evidence it holds; never the content.
    public var description: String { "InvestigationToolResult(isError: \(isError), evidence: \(evidenceIDs.count))" }
}

extension LLMToolDefinition {
    /// `submit_verdict`: the only way the model returns a verdict.
    public static let submitVerdict = LLMToolDefinition(
        name: "submit_verdict",
        description: "Submit your triage verdict. This is the only way to finish; call it exactly once, alone, when you are done. "
            + "Cite only evidence ids that appeared in tool results of this conversation.",
        inputSchema: [
            "type": "object",
            "properties": [
                "decision": ["type": "string", "enum": ["ESCALATE", "MONITOR", "CLOSE"], "description": "Your recommendation."],
                "confidence": ["type": "number", "minimum": 0, "maximum": 1, "description": "How sure you are, 0 to 1."],
                "rationale": ["type": "string", "description": "Why, in a few sentences, referring to the evidence."],
                "evidence": [
                    "type": "array", "items": ["type": "string"],
                    "description": "Evidence ids (evidence_id values from tool results) that support the decision.",
                ],
                "recommended_action": ["type": "string", "description": "What a human analyst should do next. Never claim an action was taken."],
            ],
            "required": ["decision", "rationale", "evidence"],
        ]
    )
}
