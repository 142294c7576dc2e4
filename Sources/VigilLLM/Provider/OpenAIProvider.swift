import NIOCore
import VigilCore

/// An OpenAI-compatible Chat Completions API (`POST /v1/chat/completions`, non-streaming): vLLM, Ollama, llama.cpp.
///
/// Tools go as `{"type": "function", "function": {name, description, parameters}}`, with no `tool_choice`. A reply's
/// `message.tool_calls` carry their arguments as a JSON string, parsed and checked to be an object before use (else
/// ``LLMToolCall/Arguments/invalid(raw:)``); a non-empty `tool_calls` is a tool turn whatever `finish_reason` says.
/// Tool results go back as one `role: tool` message per call. `message.refusal` or `finish_reason: content_filter`
/// is a refusal; `length` is ``LLMStopReason/maxTokens``.
public struct OpenAIProvider: LLMProvider {
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
            request, continuing: previous, frames: frames, frame: { Self.frame($0, model: model, items: $1) }, items: Self.items)
    }

    public func send(_ request: PreparedLLMRequest, timeout: Duration) async throws(LLMProviderError) -> LLMResponse {
        var headers: [(name: String, value: String)] = []
        if let apiKey { headers.append(("authorization", "Bearer \(apiKey.secret)")) }
        return try await transport.exchange(
            request,
            headers: headers,
            configuration: configuration,
            timeout: timeout,
            dialect: LLMHTTPTransport.Dialect(
                provider: "openai",
                rateLimit: { RateLimitHeaders.openAI($0, now: $1) },
                requestIDHeader: "x-request-id",
                decode: { (json) throws(LLMProviderError) -> LLMResponse in try Self.decode(json) }
            )
        )
    }

    /// The Chat Completions body for `request`.
    public static func encode(_ request: LLMRequest, model: String) -> JSONValue {
        frame(request, model: model, items: request.messages.flatMap(items))
    }

    /// The Chat Completions body with the system message, then `items`, as its messages (`request.messages` not read).
    static func frame(_ request: LLMRequest, model: String, items: [JSONValue]) -> JSONValue {
        let messages: [JSONValue] = [["role": "system", "content": .string(request.system)]] + items
        var body: JSONObject = ["model": .string(model), "max_tokens": .int(Int64(request.maxTokens)), "messages": .array(messages)]
        if !request.tools.isEmpty {
            body["tools"] = .array(
                request.tools.map {
                    ["type": "function", "function": ["name": .string($0.name), "description": .string($0.description), "parameters": $0.inputSchema]]
                }
            )
        }
        return .object(body)
    }

    /// One message as Chat Completions messages: a user turn's tool results first (they answer the previous assistant
    /// turn), then any text; an assistant turn as one message with its tool calls.
    static func items(_ message: LLMMessage) -> [JSONValue] {
        switch message.role {
        case .user:
            var items: [JSONValue] = []
            for case .toolResult(let result) in message.content {
                let content = result.isError ? "ERROR: " + result.content : result.content
                items.append(["role": "tool", "tool_call_id": .string(result.toolCallID), "content": .string(content)])
            }
            let text = message.text
            if !text.isEmpty { items.append(["role": "user", "content": .string(text)]) }
            return items
        case .assistant:
            var object: JSONObject = ["role": "assistant"]
            let text = message.text
            object["content"] = text.isEmpty ? .null : .string(text)
            let calls = message.toolCalls
            if !calls.isEmpty {
                object["tool_calls"] = .array(
                    calls.map { call in
                        let arguments: String =
                            switch call.arguments {
                            case .object(let o): JSONValue.object(o).jsonText
                            case .invalid(let raw): raw
                            }
                        return ["id": .string(call.id), "type": "function", "function": ["name": .string(call.name), "arguments": .string(arguments)]]
                    }
                )
            }
            return [.object(object)]
        }
    }

    /// Reads a chat completion body.
    /// - Throws: ``LLMProviderError`` `.invalidResponse` naming the field at fault.
    public static func decode(_ json: JSONValue) throws(LLMProviderError) -> LLMResponse {
        func invalid(_ field: String) -> LLMProviderError {
            LLMProviderError(.invalidResponse, provider: "openai", status: 200, detail: "\(field): missing or wrong type")
        }
        guard let choice = json["choices"]?.arrayValue?.first, let message = choice["message"], message.objectValue != nil else {
            throw invalid("choices.0.message")
        }
        var content: [LLMContentBlock] = []
        if let text = message["content"]?.stringValue, !text.isEmpty { content.append(.text(text)) }
        for (index, call) in (message["tool_calls"]?.arrayValue ?? []).enumerated() {
            guard let id = call["id"]?.stringValue, let name = call.value(atPath: "function.name")?.stringValue else {
                throw invalid("choices.0.message.tool_calls.\(index)")
            }
            let raw = call.value(atPath: "function.arguments")?.stringValue ?? ""
            let arguments: LLMToolCall.Arguments =
                if let object = (try? JSONParser().parse(raw))?.objectValue { .object(object) } else { .invalid(raw: raw) }
            content.append(.toolCall(LLMToolCall(id: id, name: name, arguments: arguments)))
        }
        let finish = choice["finish_reason"]?.stringValue
        let refusal = message["refusal"]?.stringValue
        let stop: LLMStopReason
        if content.contains(where: { if case .toolCall = $0 { true } else { false } }) {
            stop = .toolUse
        } else if refusal != nil || finish == "content_filter" {
            stop = .refusal
        } else {
            stop =
                switch finish {
                case "stop": .endTurn
                case "length": .maxTokens
                case "tool_calls", "function_call": .endTurn  // claimed a tool turn but sent no call
                case let other: .other(other ?? "none")
                }
        }
        func count(_ key: String) -> Int { json.value(atPath: "usage.\(key)")?.intValue.map { Int($0) } ?? 0 }
        let cached = json.value(atPath: "usage.prompt_tokens_details.cached_tokens")?.intValue.map { Int($0) } ?? 0
        let usage = LLMUsage(inputTokens: count("prompt_tokens") - cached, outputTokens: count("completion_tokens"), cacheReadInputTokens: cached)
        return LLMResponse(
            message: LLMMessage(role: .assistant, content: content),
            stopReason: stop,
            usage: usage,
            model: json["model"]?.stringValue ?? ""
        )
    }
}
