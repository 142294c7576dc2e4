import VigilCore

/// The wire format of one of the two APIs the simulator speaks.
///
/// Decoding checks what the real API checks (required fields, every tool call answered by a result) and fails
/// with a ``RequestRejection`` naming the field; encoding writes replies and errors in the API's own shape.
enum SimulatedAPI: String, Sendable, Hashable, CaseIterable {
    /// `POST /v1/messages`
    case anthropic = "/v1/messages"
    /// `POST /v1/chat/completions`
    case openAI = "/v1/chat/completions"

    var path: String { rawValue }
}

/// Why a model request is not served with a reply, in API-neutral terms.
struct RequestRejection: Error, Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case invalidRequest
        case authentication
        case tooLarge
        case rateLimited
        case overloaded
        case serverError
    }

    var kind: Kind
    /// Written by the simulator; never request content.
    var message: String
    /// Whole seconds the client should wait, for `rateLimited`.
    var retryAfterSeconds: Int?

    static func invalid(_ message: String) -> RequestRejection { RequestRejection(kind: .invalidRequest, message: message) }
}

/// The tokens of one request and its reply, by the simulator's approximation.
///
/// A request's tokens are its body's bytes / 4, rounded up. With Anthropic prompt caching, the cacheable prefix
/// (tools and system prompt) is reported as `cache_creation_input_tokens` the first time the simulator sees it
/// and as `cache_read_input_tokens` while it stays cached; `input_tokens` is the rest, as Anthropic reports it.
struct TokenUsage: Sendable, Hashable {
    var input = 0
    var cacheCreation = 0
    var cacheRead = 0
    var output = 0

    /// What counts against ITPM: uncached input and cache writes; cache reads do not (Anthropic's cache-aware ITPM).
    var rateLimitedInput: Int { input + cacheCreation }
}

/// Ids of one reply, drawn from the simulator's seeded generator.
struct ReplyIDs: Sendable {
    var message: String
    var toolCalls: [String]
    var created: Int64
}

extension SimulatedAPI {
    /// Reads the conversation out of a request body.
    /// - Throws: ``RequestRejection`` of kind `invalidRequest` naming the field at fault.
    func decode(_ body: JSONValue) throws(RequestRejection) -> SimulatedConversation {
        guard case .object(let object) = body else { throw .invalid("request body must be a JSON object") }
        if object["stream"]?.boolValue == true { throw .invalid("stream: the simulator does not stream; send false or omit it") }
        switch self {
        case .anthropic: return try Self.decodeAnthropic(object)
        case .openAI: return try Self.decodeOpenAI(object)
        }
    }

    /// The reply as this API's response body.
    func encode(_ reply: SimulatedReply, model: String, ids: ReplyIDs, usage: TokenUsage) -> JSONValue {
        switch self {
        case .anthropic: Self.encodeAnthropic(reply, model: model, ids: ids, usage: usage)
        case .openAI: Self.encodeOpenAI(reply, model: model, ids: ids, usage: usage)
        }
    }

    /// The HTTP status and body of a rejection in this API's error shape.
    func encode(_ rejection: RequestRejection, requestID: String) -> (status: Int, body: JSONValue) {
        switch self {
        case .anthropic: Self.encodeAnthropicError(rejection, requestID: requestID)
        case .openAI: Self.encodeOpenAIError(rejection)
        }
    }

    /// Checks that every tool call is answered by a result in the messages that follow it, before the next
    /// assistant turn, and that every result answers a call made earlier. A trailing assistant turn (a paused turn
    /// sent back to continue) is exempt.
    static func checkToolPairing(_ messages: [SimulatedConversation.Message]) throws(RequestRejection) {
        var pending: [String] = []
        var known = Set<String>()
        for (index, message) in messages.enumerated() {
            switch message.role {
            case .assistant:
                if !pending.isEmpty {
                    throw .invalid("messages.\(index): tool call ids \(pending.joined(separator: ", ")) have no tool result before this turn")
                }
                for case .toolCall(let id, _, _) in message.parts {
                    pending.append(id)
                    known.insert(id)
                }
            case .user, .tool:
                for case .toolResult(let id, _, _) in message.parts {
                    guard known.contains(id) else { throw .invalid("messages.\(index): tool result for unknown tool call id \(id.prefix(64))") }
                    pending.removeAll { $0 == id }
                }
                if message.role == .user, !pending.isEmpty {
                    throw .invalid("messages.\(index): tool call ids \(pending.joined(separator: ", ")) have no tool result")
                }
            }
        }
        if let last = messages.last, last.role == .assistant { return }
        if !pending.isEmpty { throw .invalid("tool call ids \(pending.joined(separator: ", ")) have no tool result") }
    }

    static func requiredString(_ object: JSONObject, _ key: String, at path: String = "") throws(RequestRejection) -> String {
        guard let value = object[key] else { throw .invalid("\(path)\(key): required") }
        guard let s = value.stringValue else { throw .invalid("\(path)\(key): must be a string") }
        return s
    }

    static func optionalArray(_ object: JSONObject, _ key: String, at path: String = "") throws(RequestRejection) -> [JSONValue] {
        guard let value = object[key], !value.isNull else { return [] }
        guard let array = value.arrayValue else { throw .invalid("\(path)\(key): must be an array") }
        return array
    }

    static func positiveInt(_ value: JSONValue?, _ name: String) throws(RequestRejection) -> Int? {
        guard let value, !value.isNull else { return nil }
        guard let n = value.intValue, n >= 1, n <= 1_000_000 else { throw .invalid("\(name): must be an integer >= 1") }
        return Int(n)
    }

    /// Text of a content that is either a string or an array of `{"type":"text","text":…}` blocks.
    static func flatText(_ value: JSONValue?, at path: String) throws(RequestRejection) -> String {
        switch value {
        case nil, .null?: return ""
        case .string(let s)?: return s
        case .array(let blocks)?:
            var parts: [String] = []
            for (i, block) in blocks.enumerated() {
                guard case .object(let b) = block else { throw .invalid("\(path).\(i): must be an object") }
                if b["type"]?.stringValue == "text" { parts.append(try requiredString(b, "text", at: "\(path).\(i).")) }
            }
            return parts.joined(separator: "\n")
        default:
            throw .invalid("\(path): must be a string or an array of blocks")
        }
    }
}
