import VigilCore

/// What a tool call returns to the model: a structured answer, or an error it can read and correct.
public struct ToolResult: Sendable, Hashable, CustomStringConvertible {
    /// True when the call was refused or failed; `content` then is `{"error": {"code", "message", "argument"?}}`.
    public var isError: Bool
    /// The answer: `summary` (compact aggregates) and `evidence` (records, each with an `evidence_id`), with counts of
    /// what was left out.
    public var content: JSONValue

    public init(isError: Bool = false, content: JSONValue) {
        self.isError = isError
        self.content = content
    }

    /// A refusal the model can act on.
    public static func error(_ error: ToolError) -> ToolResult {
        var members: JSONObject = ["code": .string(error.code.name), "message": .string(error.message)]
        if let argument = error.argument { members["argument"] = .string(argument) }
        return ToolResult(isError: true, content: ["error": .object(members)])
    }

    /// The evidence ids this result cites, in order.
    public var evidenceIDs: [String] {
        var ids: [String] = []
        func walk(_ value: JSONValue) {
            switch value {
            case .object(let object):
                if let id = object["evidence_id"]?.stringValue { ids.append(id) }
                for member in object { walk(member.value) }
            case .array(let items): items.forEach(walk)
            default: break
            }
        }
        walk(content)
        return ids
    }

    /// Whether it failed, and its size; never the content (it holds log data).
    public var description: String { "ToolResult(isError: \(isError), evidence: \(evidenceIDs.count))" }
}
