import VigilCore

/// A conversation as the simulated model sees it, whichever API carried it.
///
/// The simulator is stateless: every decision is taken from this value alone (the tools offered, the calls made
/// so far, the results they returned and the number of assistant turns).
struct SimulatedConversation: Sendable {
    enum Role: Sendable { case user, assistant, tool }

    /// Arguments of a tool call: well-formed JSON, or raw text that is not (for the malformed behaviour).
    enum ToolArguments: Sendable, Hashable {
        case json(JSONValue)
        case raw(String)

        /// The arguments as JSON text.
        var text: String {
            switch self {
            case .json(let value): value.jsonText
            case .raw(let text): text
            }
        }
    }

    enum Part: Sendable {
        case text(String)
        case toolCall(id: String, name: String, arguments: ToolArguments)
        case toolResult(toolCallID: String, text: String, isError: Bool)
    }

    struct Message: Sendable {
        var role: Role
        var parts: [Part]
    }

    var model: String
    var system: String
    var messages: [Message]
    /// Names of the tools offered, in order.
    var toolNames: [String]
    /// The caller's `max_tokens`.
    var maxTokens: Int
    /// Anthropic prompt caching: the JSON text of the tools and system prompt when either carries a
    /// `cache_control` breakpoint, else nil. The simulator caches this prefix (see ``PromptCache``).
    var cacheablePrefix: String? = nil

    /// Text the user wrote (the alert), without tool results.
    var userTexts: [String] {
        messages.filter { $0.role == .user }.flatMap { message in
            message.parts.compactMap { if case .text(let text) = $0 { text } else { nil } }
        }
    }

    /// Every tool result, in order.
    var toolResults: [(toolCallID: String, text: String, isError: Bool)] {
        messages.flatMap { message in
            message.parts.compactMap {
                if case .toolResult(let id, let text, let isError) = $0 { (id, text, isError) } else { nil }
            }
        }
    }

    /// Every tool call the assistant made, in order.
    var toolCalls: [(name: String, arguments: ToolArguments)] {
        messages.filter { $0.role == .assistant }.flatMap { message in
            message.parts.compactMap { if case .toolCall(_, let name, let arguments) = $0 { (name, arguments) } else { nil } }
        }
    }

    /// Text the assistant wrote in earlier turns.
    var assistantTexts: [String] {
        messages.filter { $0.role == .assistant }.flatMap { message in
            message.parts.compactMap { if case .text(let text) = $0 { text } else { nil } }
        }
    }

    /// How many assistant turns the conversation already holds.
    var assistantTurns: Int { messages.count { $0.role == .assistant } }

    /// The alert and the tool results: the untrusted data an injected instruction would hide in.
    var untrustedTexts: [String] { userTexts + toolResults.map(\.text) }

    /// Where a test may put a behaviour marker: the system prompt and the user's text.
    var markerTexts: [String] { [system] + userTexts }
}
