import VigilCore

/// One message of a provider-neutral conversation. Providers translate it to their wire format.
public struct LLMMessage: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable, Codable {
        case user
        case assistant
    }

    public var role: Role
    public var content: [LLMContentBlock]

    public init(role: Role, content: [LLMContentBlock]) {
        self.role = role
        self.content = content
    }

    public static func user(_ text: String) -> LLMMessage { LLMMessage(role: .user, content: [.text(text)]) }

    /// The tool calls of an assistant message, in order.
    public var toolCalls: [LLMToolCall] {
        content.compactMap { if case .toolCall(let call) = $0 { call } else { nil } }
    }

    /// The text blocks of the message, joined by newlines.
    public var text: String {
        content.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined(separator: "\n")
    }
}

/// One block of a message's content.
public enum LLMContentBlock: Sendable, Hashable {
    case text(String)
    /// A tool call the model made (assistant messages only).
    case toolCall(LLMToolCall)
    /// The answer to one tool call (user messages only).
    case toolResult(LLMToolResult)
}

/// A tool call as the model wrote it. Its arguments are validated JSON before the agent uses them.
public struct LLMToolCall: Sendable, Hashable {
    /// The provider's id (`toolu_…`, `call_…`); the tool result must name it.
    public var id: String
    public var name: String
    public var arguments: Arguments

    /// A tool call's arguments: a JSON object, or what the model wrote when it was not one (kept only to send the
    /// turn back to the provider verbatim, never used).
    public enum Arguments: Sendable, Hashable {
        case object(JSONObject)
        case invalid(raw: String)

        /// The arguments as a JSON value, nil when they were not an object.
        public var value: JSONValue? { if case .object(let o) = self { .object(o) } else { nil } }
    }

    public init(id: String, name: String, arguments: Arguments) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// The answer to one tool call. `content` is already sanitised and spotlighted text.
public struct LLMToolResult: Sendable, Hashable {
    public var toolCallID: String
    public var content: String
    /// The tool failed (Anthropic `is_error: true`; OpenAI has no flag, the content says so).
    public var isError: Bool

    public init(toolCallID: String, content: String, isError: Bool = false) {
        self.toolCallID = toolCallID
        self.content = content
        self.isError = isError
    }
}

/// A tool offered to the model: name, description and a JSON Schema (`type: object`) for its input.
public struct LLMToolDefinition: Sendable, Hashable {
    public var name: String
    public var description: String
    public var inputSchema: JSONValue

    public init(name: String, description: String, inputSchema: JSONValue) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
    }
}

/// One request to a model.
public struct LLMRequest: Sendable {
    /// The system prompt (Anthropic top-level `system`; OpenAI a leading `system` message).
    public var system: String
    public var messages: [LLMMessage]
    public var tools: [LLMToolDefinition]
    /// The most output tokens this call may produce.
    public var maxTokens: Int
    /// Extra HTTP headers (for tests: `x-sim-behaviour`). Never secrets.
    public var extraHeaders: [(name: String, value: String)]

    public init(system: String, messages: [LLMMessage], tools: [LLMToolDefinition], maxTokens: Int, extraHeaders: [(String, String)] = []) {
        self.system = system
        self.messages = messages
        self.tools = tools
        self.maxTokens = maxTokens
        self.extraHeaders = extraHeaders.map { (name: $0.0, value: $0.1) }
    }
}

/// Why the model stopped.
public enum LLMStopReason: Sendable, Hashable, CustomStringConvertible {
    /// The turn is complete (Anthropic `end_turn`; OpenAI `stop` without tool calls).
    case endTurn
    /// The model called tools and waits for their results.
    case toolUse
    /// The output hit `max_tokens` (OpenAI `length`).
    case maxTokens
    case stopSequence
    /// Anthropic paused a long turn: send the turn back as is to continue.
    case pauseTurn
    /// The model refused (Anthropic `refusal`; OpenAI `message.refusal` or `content_filter`).
    case refusal
    /// Anything else the provider said.
    case other(String)

    public var description: String {
        switch self {
        case .endTurn: "end_turn"
        case .toolUse: "tool_use"
        case .maxTokens: "max_tokens"
        case .stopSequence: "stop_sequence"
        case .pauseTurn: "pause_turn"
        case .refusal: "refusal"
        case .other(let s): s
        }
    }
}

/// One successful model response.
public struct LLMResponse: Sendable {
    /// The assistant message, to append to the conversation as is.
    public var message: LLMMessage
    public var stopReason: LLMStopReason
    public var usage: LLMUsage
    /// The model the provider says answered.
    public var model: String
    /// The provider's request id (`request-id` / `x-request-id`), for support cases.
    public var requestID: String?
    /// The response's rate-limit headers, parsed.
    public var rateLimit: RateLimitHeaders
    /// Time on the wire: from handing the encoded request to the HTTP client until the whole answer body had
    /// arrived (the provider's service time plus the network); nil when the provider did not measure it. Decoding
    /// the body is not included.
    public var wireDuration: Duration?

    public init(
        message: LLMMessage,
        stopReason: LLMStopReason,
        usage: LLMUsage,
        model: String,
        requestID: String? = nil,
        rateLimit: RateLimitHeaders = RateLimitHeaders()
    ) {
        self.message = message
        self.stopReason = stopReason
        self.usage = usage
        self.model = model
        self.requestID = requestID
        self.rateLimit = rateLimit
    }
}
