import VigilCore

/// The next assistant turn, before it is written in either API's shape.
struct SimulatedReply: Sendable {
    /// Why the turn ended, in API-neutral terms.
    enum Stop: Sendable, Hashable {
        case endTurn
        case toolUse
        case maxTokens
        case pauseTurn
        case refusal
    }

    struct ToolCall: Sendable {
        var name: String
        var arguments: SimulatedConversation.ToolArguments
    }

    var text: String?
    var toolCalls: [ToolCall]
    var stop: Stop

    static func text(_ text: String, stop: Stop = .endTurn) -> SimulatedReply {
        SimulatedReply(text: text, toolCalls: [], stop: stop)
    }

    static func calls(_ calls: [ToolCall], text: String? = nil) -> SimulatedReply {
        SimulatedReply(text: text, toolCalls: calls, stop: .toolUse)
    }

    /// Output tokens by the simulator's approximation: one token per 4 bytes of text, tool names and arguments,
    /// at least 1.
    var outputTokens: Int {
        var bytes = text?.utf8.count ?? 0
        for call in toolCalls { bytes += call.name.utf8.count + call.arguments.text.utf8.count }
        return max(1, (bytes + 3) / 4)
    }

    /// The reply cut to `maxTokens`: when it is longer, the text is truncated to `maxTokens * 4` bytes, tool calls
    /// are dropped (a call cut in half is no call) and the turn stops with `.maxTokens`.
    func limited(to maxTokens: Int) -> SimulatedReply {
        guard outputTokens > maxTokens else { return self }
        var kept = ""
        var bytes = 0
        for character in text ?? "" {
            let size = character.utf8.count
            if bytes + size > maxTokens * 4 { break }
            kept.append(character)
            bytes += size
        }
        return SimulatedReply(text: kept, toolCalls: [], stop: .maxTokens)
    }
}
