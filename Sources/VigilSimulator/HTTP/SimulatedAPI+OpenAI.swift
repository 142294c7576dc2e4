import VigilCore

extension SimulatedAPI {
    /// `max_tokens` when the request sets neither `max_tokens` nor `max_completion_tokens`.
    static let defaultOpenAIMaxTokens = 4096

    static func decodeOpenAI(_ object: JSONObject) throws(RequestRejection) -> SimulatedConversation {
        let model = try requiredString(object, "model")
        var maxTokens = try positiveInt(object["max_completion_tokens"], "max_completion_tokens")
        if maxTokens == nil { maxTokens = try positiveInt(object["max_tokens"], "max_tokens") }
        var toolNames: [String] = []
        for (i, tool) in try optionalArray(object, "tools").enumerated() {
            guard case .object(let t) = tool else { throw .invalid("tools.\(i): must be an object") }
            guard t["type"]?.stringValue == "function" else { throw .invalid("tools.\(i).type: must be \"function\"") }
            guard case .object(let function)? = t["function"] else { throw .invalid("tools.\(i).function: required object") }
            toolNames.append(try requiredString(function, "name", at: "tools.\(i).function."))
        }
        let rawMessages = try optionalArray(object, "messages")
        guard !rawMessages.isEmpty else { throw .invalid("messages: must be a non-empty array") }
        var system: [String] = []
        var messages: [SimulatedConversation.Message] = []
        for (i, raw) in rawMessages.enumerated() {
            guard case .object(let m) = raw else { throw .invalid("messages.\(i): must be an object") }
            let path = "messages.\(i)."
            let text = try flatText(m["content"], at: "\(path)content")
            switch try requiredString(m, "role", at: path) {
            case "system", "developer":
                system.append(text)
            case "user":
                messages.append(.init(role: .user, parts: [.text(text)]))
            case "assistant":
                var parts: [SimulatedConversation.Part] = text.isEmpty ? [] : [.text(text)]
                for (j, call) in try optionalArray(m, "tool_calls", at: path).enumerated() {
                    let here = "\(path)tool_calls.\(j)."
                    guard case .object(let c) = call, case .object(let function)? = c["function"] else {
                        throw .invalid("\(here)function: required object")
                    }
                    let arguments = try requiredString(function, "arguments", at: "\(here)function.")
                    let parsed = try? JSONParser().parse(arguments)
                    parts.append(
                        .toolCall(
                            id: try requiredString(c, "id", at: here),
                            name: try requiredString(function, "name", at: "\(here)function."),
                            arguments: parsed.map { .json($0) } ?? .raw(arguments)
                        )
                    )
                }
                messages.append(.init(role: .assistant, parts: parts))
            case "tool":
                let id = try requiredString(m, "tool_call_id", at: path)
                messages.append(.init(role: .tool, parts: [.toolResult(toolCallID: id, text: text, isError: false)]))
            default:
                throw .invalid("\(path)role: must be system, developer, user, assistant or tool")
            }
        }
        try checkToolPairing(messages)
        return SimulatedConversation(
            model: model,
            system: system.joined(separator: "\n"),
            messages: messages,
            toolNames: toolNames,
            maxTokens: maxTokens ?? defaultOpenAIMaxTokens
        )
    }

    static func encodeOpenAI(_ reply: SimulatedReply, model: String, ids: ReplyIDs, usage: TokenUsage) -> JSONValue {
        var message: JSONObject = ["role": "assistant"]
        let finish: String
        if reply.stop == .refusal {
            message["content"] = .null
            message["refusal"] = .string(reply.text ?? "")
            finish = "stop"
        } else {
            message["content"] = reply.text.map { .string($0) } ?? .null
            message["refusal"] = .null
            finish =
                switch reply.stop {
                case .toolUse: "tool_calls"
                case .maxTokens: "length"
                default: "stop"
                }
        }
        if !reply.toolCalls.isEmpty {
            message["tool_calls"] = .array(
                zip(reply.toolCalls, ids.toolCalls).map { call, id in
                    ["id": .string(id), "type": "function", "function": ["name": .string(call.name), "arguments": .string(call.arguments.text)]]
                }
            )
        }
        return [
            "id": .string(ids.message),
            "object": "chat.completion",
            "created": .int(ids.created),
            "model": .string(model),
            "choices": [["index": 0, "message": .object(message), "finish_reason": .string(finish), "logprobs": nil]],
            "usage": [
                "prompt_tokens": .int(Int64(usage.input)),
                "completion_tokens": .int(Int64(usage.output)),
                "total_tokens": .int(Int64(usage.input + usage.output)),
            ],
        ]
    }

    static func encodeOpenAIError(_ rejection: RequestRejection) -> (status: Int, body: JSONValue) {
        let (status, type, code): (Int, String, JSONValue) =
            switch rejection.kind {
            case .invalidRequest: (400, "invalid_request_error", nil)
            case .authentication: (401, "invalid_request_error", "invalid_api_key")
            case .tooLarge: (413, "invalid_request_error", "request_too_large")
            case .rateLimited: (429, "requests", "rate_limit_exceeded")
            case .overloaded: (503, "server_error", "overloaded")
            case .serverError: (500, "server_error", nil)
            }
        return (status, ["error": ["message": .string(rejection.message), "type": .string(type), "param": nil, "code": code]])
    }
}
