import VigilCore

extension SimulatedAPI {
    static func decodeAnthropic(_ object: JSONObject) throws(RequestRejection) -> SimulatedConversation {
        let model = try requiredString(object, "model")
        guard let maxTokens = try positiveInt(object["max_tokens"], "max_tokens") else { throw .invalid("max_tokens: required") }
        let system = try flatText(object["system"], at: "system")
        var toolNames: [String] = []
        for (i, tool) in try optionalArray(object, "tools").enumerated() {
            guard case .object(let t) = tool else { throw .invalid("tools.\(i): must be an object") }
            toolNames.append(try requiredString(t, "name", at: "tools.\(i)."))
            if t["type"] == nil || t["type"]?.stringValue == "custom" {
                guard t["input_schema"]?.objectValue != nil else { throw .invalid("tools.\(i).input_schema: required object") }
            }
        }
        let rawMessages = try optionalArray(object, "messages")
        guard !rawMessages.isEmpty else { throw .invalid("messages: must be a non-empty array") }
        var messages: [SimulatedConversation.Message] = []
        for (i, raw) in rawMessages.enumerated() {
            guard case .object(let m) = raw else { throw .invalid("messages.\(i): must be an object") }
            let path = "messages.\(i)."
            let role: SimulatedConversation.Role
            switch try requiredString(m, "role", at: path) {
            case "user": role = .user
            case "assistant": role = .assistant
            default: throw .invalid("\(path)role: must be user or assistant")
            }
            messages.append(.init(role: role, parts: try anthropicParts(m["content"], role: role, at: "\(path)content")))
        }
        guard messages.first?.role == .user else { throw .invalid("messages.0.role: the first message must be a user message") }
        try checkToolPairing(messages)
        var conversation = SimulatedConversation(model: model, system: system, messages: messages, toolNames: toolNames, maxTokens: maxTokens)
        let prefix = (object["tools"]?.jsonText ?? "") + (object["system"]?.jsonText ?? "")
        if prefix.contains("\"cache_control\"") { conversation.cacheablePrefix = prefix }
        return conversation
    }

    private static func anthropicParts(
        _ content: JSONValue?,
        role: SimulatedConversation.Role,
        at path: String
    ) throws(RequestRejection) -> [SimulatedConversation.Part] {
        switch content {
        case .string(let s)?: return [.text(s)]
        case .array(let blocks)?:
            var parts: [SimulatedConversation.Part] = []
            for (i, block) in blocks.enumerated() {
                guard case .object(let b) = block else { throw .invalid("\(path).\(i): must be an object") }
                let here = "\(path).\(i)."
                switch try requiredString(b, "type", at: here) {
                case "text":
                    parts.append(.text(try requiredString(b, "text", at: here)))
                case "tool_use":
                    guard role == .assistant else { throw .invalid("\(here)type: tool_use only in assistant messages") }
                    guard let input = b["input"], input.objectValue != nil else { throw .invalid("\(here)input: required object") }
                    parts.append(
                        .toolCall(
                            id: try requiredString(b, "id", at: here),
                            name: try requiredString(b, "name", at: here),
                            arguments: .json(input)
                        )
                    )
                case "tool_result":
                    guard role == .user else { throw .invalid("\(here)type: tool_result only in user messages") }
                    let id = try requiredString(b, "tool_use_id", at: here)
                    let isError = b["is_error"]?.boolValue ?? false
                    parts.append(.toolResult(toolCallID: id, text: try flatText(b["content"], at: "\(here)content"), isError: isError))
                default:
                    continue  // images, documents, thinking: not read by the simulated model
                }
            }
            return parts
        default:
            throw .invalid("\(path): required, a string or an array of content blocks")
        }
    }

    static func encodeAnthropic(_ reply: SimulatedReply, model: String, ids: ReplyIDs, usage: TokenUsage) -> JSONValue {
        var content: [JSONValue] = []
        if let text = reply.text, !text.isEmpty || reply.toolCalls.isEmpty { content.append(["type": "text", "text": .string(text)]) }
        for (call, id) in zip(reply.toolCalls, ids.toolCalls) {
            let input: JSONValue =
                switch call.arguments {
                case .json(let value): value
                case .raw(let text): .string(text)  // malformed: the API promises an object
                }
            content.append(["type": "tool_use", "id": .string(id), "name": .string(call.name), "input": input])
        }
        let stop: String =
            switch reply.stop {
            case .endTurn: "end_turn"
            case .toolUse: "tool_use"
            case .maxTokens: "max_tokens"
            case .pauseTurn: "pause_turn"
            case .refusal: "refusal"
            }
        return [
            "id": .string(ids.message),
            "type": "message",
            "role": "assistant",
            "model": .string(model),
            "content": .array(content),
            "stop_reason": .string(stop),
            "stop_sequence": nil,
            "usage": [
                "input_tokens": .int(Int64(usage.input)),
                "output_tokens": .int(Int64(usage.output)),
                "cache_creation_input_tokens": .int(Int64(usage.cacheCreation)),
                "cache_read_input_tokens": .int(Int64(usage.cacheRead)),
            ],
        ]
    }

    static func encodeAnthropicError(_ rejection: RequestRejection, requestID: String) -> (status: Int, body: JSONValue) {
        let (status, type): (Int, String) =
            switch rejection.kind {
            case .invalidRequest: (400, "invalid_request_error")
            case .authentication: (401, "authentication_error")
            case .tooLarge: (413, "request_too_large")
            case .rateLimited: (429, "rate_limit_error")
            case .overloaded: (529, "overloaded_error")
            case .serverError: (500, "api_error")
            }
        let body: JSONValue = [
            "type": "error",
            "error": ["type": .string(type), "message": .string(rejection.message)],
            "request_id": .string(requestID),
        ]
        return (status, body)
    }
}
