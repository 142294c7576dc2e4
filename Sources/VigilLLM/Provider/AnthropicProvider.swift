import NIOCore
import VigilCore

/// Anthropic's Messages API (`POST /v1/messages`, non-streaming).
///
/// Requests carry `model`, `max_tokens`, a top-level `system` (marked for prompt caching), `messages` and `tools`
/// with `input_schema`. Tool calls come back as `tool_use` blocks; their results go in the next user message as one
/// `tool_result` per `tool_use_id` (`is_error: true` for a failed tool). A `tool_use` whose `input` is not an object
/// is kept as ``LLMToolCall/Arguments/invalid(raw:)`` and sent back with an empty input.
public struct AnthropicProvider: LLMProvider {
    public let configuration: LLMProviderConfiguration
    let apiKey: LLMAPIKey?
    let transport: LLMHTTPTransport
    /// The latest request frame (all but the messages), shared by the conversations of all alerts.
    let frames = EncodedConversation.Frames()

    public init(configuration: LLMProviderConfiguration, apiKey: LLMAPIKey?, transport: LLMHTTPTransport = LLMHTTPTransport()) {
        self.configuration = configuration
        self.apiKey = apiKey
        self.transport = transport
    }

    public func prepare(_ request: LLMRequest, continuing previous: PreparedLLMRequest?) -> PreparedLLMRequest {
        let model = configuration.model
        return EncodedConversation.prepare(
            request, continuing: previous, frames: frames, frame: { Self.frame($0, model: model, items: $1) }, items: { [Self.encode($0)] })
    }

    public func send(_ request: PreparedLLMRequest, timeout: Duration) async throws(LLMProviderError) -> LLMResponse {
        var headers: [(name: String, value: String)] = [("anthropic-version", configuration.anthropicVersion)]
        if let apiKey { headers.append(("x-api-key", apiKey.secret)) }
        return try await transport.exchange(
            request,
            headers: headers,
            configuration: configuration,
            timeout: timeout,
            dialect: LLMHTTPTransport.Dialect(
                provider: "anthropic",
                rateLimit: { RateLimitHeaders.anthropic($0, now: $1) },
                requestIDHeader: "request-id",
                decode: { (json) throws(LLMProviderError) -> LLMResponse in try Self.decode(json) }
            )
        )
    }

    /// The Messages API body for `request`.
    public static func encode(_ request: LLMRequest, model: String) -> JSONValue {
        frame(request, model: model, items: request.messages.map(encode))
    }

    /// The Messages API body with `items` as its messages (`request.messages` not read).
    static func frame(_ request: LLMRequest, model: String, items: [JSONValue]) -> JSONValue {
        var body: JSONObject = [
            "model": .string(model),
            "max_tokens": .int(Int64(request.maxTokens)),
            "system": [["type": "text", "text": .string(request.system), "cache_control": ["type": "ephemeral"]]],
        ]
        if !request.tools.isEmpty {
            body["tools"] = .array(
                request.tools.map { ["name": .string($0.name), "description": .string($0.description), "input_schema": $0.inputSchema] }
            )
        }
        body["messages"] = .array(items)
        return .object(body)
    }

    static func encode(_ message: LLMMessage) -> JSONValue {
        let blocks: [JSONValue] = message.content.map { block in
            switch block {
            case .text(let text):
                return ["type": "text", "text": .string(text)]
            case .toolCall(let call):
                return ["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": call.arguments.value ?? .object([:])]
            case .toolResult(let result):
                var object: JSONObject = ["type": "tool_result", "tool_use_id": .string(result.toolCallID), "content": .string(result.content)]
                if result.isError { object["is_error"] = true }
                return .object(object)
            }
        }
        return ["role": .string(message.role.rawValue), "content": .array(blocks)]
    }

    /// Reads a Messages API response body.
    /// - Throws: ``LLMProviderError`` `.invalidResponse` naming the field at fault.
    public static func decode(_ json: JSONValue) throws(LLMProviderError) -> LLMResponse {
        func invalid(_ field: String) -> LLMProviderError {
            LLMProviderError(.invalidResponse, provider: "anthropic", status: 200, detail: "\(field): missing or wrong type")
        }
        guard let blocks = json["content"]?.arrayValue else { throw invalid("content") }
        var content: [LLMContentBlock] = []
        for (index, block) in blocks.enumerated() {
            switch block["type"]?.stringValue {
            case "text":
                guard let text = block["text"]?.stringValue else { throw invalid("content.\(index).text") }
                content.append(.text(text))
            case "tool_use":
                guard let id = block["id"]?.stringValue, let name = block["name"]?.stringValue else { throw invalid("content.\(index)") }
                let input = block["input"] ?? .null
                let arguments: LLMToolCall.Arguments = input.objectValue.map { .object($0) } ?? .invalid(raw: input.jsonText)
                content.append(.toolCall(LLMToolCall(id: id, name: name, arguments: arguments)))
            default:
                continue  // thinking and server-tool blocks: not used by Vigil
            }
        }
        let stop: LLMStopReason =
            switch json["stop_reason"]?.stringValue {
            case "end_turn": .endTurn
            case "tool_use": .toolUse
            case "max_tokens": .maxTokens
            case "stop_sequence": .stopSequence
            case "pause_turn": .pauseTurn
            case "refusal": .refusal
            case let other: .other(other ?? "none")
            }
        func count(_ key: String) -> Int { json.value(atPath: "usage.\(key)")?.intValue.map { Int($0) } ?? 0 }
        let usage = LLMUsage(
            inputTokens: count("input_tokens"),
            outputTokens: count("output_tokens"),
            cacheReadInputTokens: count("cache_read_input_tokens"),
            cacheCreationInputTokens: count("cache_creation_input_tokens")
        )
        return LLMResponse(
            message: LLMMessage(role: .assistant, content: content),
            stopReason: stop,
            usage: usage,
            model: json["model"]?.stringValue ?? ""
        )
    }
}
