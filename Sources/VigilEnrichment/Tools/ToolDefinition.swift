import VigilCore

/// A tool as the model sees it: name, description and JSON Schema of its input (DESIGN.md, "The agent's tools").
public struct ToolDefinition: Sendable, Hashable {
    public var name: String
    public var description: String
    /// `{"type": "object", "properties": {…}, "required": […]}`.
    public var inputSchema: JSONValue

    public init(name: String, description: String, properties: [(String, JSONValue)], required: [String]) {
        self.name = name
        self.description = description
        self.inputSchema = [
            "type": "object",
            "properties": .object(JSONObject(properties.map { JSONObject.Member(key: $0.0, value: $0.1) })),
            "required": .array(required.map { .string($0) }),
        ]
    }

    /// The definition as the `tools` entry of a chat request (`name`, `description`, `input_schema`).
    public var json: JSONValue {
        ["name": .string(name), "description": .string(description), "input_schema": inputSchema]
    }

    static func property(_ type: String, _ description: String, default value: JSONValue? = nil) -> JSONValue {
        var members: JSONObject = ["type": .string(type), "description": .string(description)]
        if let value { members["default"] = value }
        return .object(members)
    }
}
