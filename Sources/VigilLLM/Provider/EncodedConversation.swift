import Foundation
import Synchronization
import VigilCore

/// A conversation's request body in parts, kept with its ``PreparedLLMRequest`` so that the conversation's next turn
/// encodes only what is new (``LLMProvider/prepare(_:continuing:)``).
///
/// An agent's turns resend the whole conversation: the system prompt, the tools and every message so far, the first of
/// them carrying the alert and the pre-fetched tool results. Encoded afresh each turn, the same text was escaped three
/// or four times per alert. Here the body is `head + items + tail`: `head` and `tail` are everything around the
/// messages' items (model, limits, system prompt, tools), encoded once; each message's items are encoded once and
/// joined. The body is byte for byte what encoding the whole request gives. A provider also keeps the latest
/// `head` and `tail` (``Frames``): every alert's conversation has the same system prompt and tools.
struct EncodedConversation: Sendable {
    var system: String
    var tools: [LLMToolDefinition]
    var maxTokens: Int
    var head: String
    var tail: String
    /// The messages encoded so far and each one's items as JSON text (an OpenAI message is zero or more items).
    var messages: [LLMMessage] = []
    var items: [String] = []

    /// Stands for the messages' items while the rest of the body is encoded: a string that nothing else in a body
    /// contains (its JSON text begins with an escaped NUL, and it carries a process-wide random UUID).
    static let marker = "\u{0}vigil-messages-" + UUID().uuidString

    /// The body of `request` for a provider whose body is `frame(request, items)`, where `items(message)` are one
    /// message's array items; the parts of `previous` are reused when `request` continues its conversation (same
    /// system prompt, tools and token limit; its messages, then more).
    static func prepare(
        _ request: LLMRequest,
        continuing previous: PreparedLLMRequest?,
        frames: Frames,
        frame: (LLMRequest, [JSONValue]) -> JSONValue,
        items: (LLMMessage) -> [JSONValue]
    ) -> PreparedLLMRequest {
        var conversation: EncodedConversation
        if let earlier = previous?.conversation, earlier.continues(into: request) {
            conversation = earlier
        } else if let kept = frames.frame(for: request) {
            conversation = kept
        } else {
            let marker = JSONValue.string(Self.marker).jsonText
            let text = frame(request, [.string(Self.marker)]).jsonText
            guard let range = text.range(of: marker) else { return whole(request, frame: frame, items: items) }
            conversation = EncodedConversation(
                system: request.system, tools: request.tools, maxTokens: request.maxTokens,
                head: String(text[..<range.lowerBound]), tail: String(text[range.upperBound...]))
            frames.keep(conversation)
        }
        for message in request.messages.dropFirst(conversation.messages.count) {
            conversation.messages.append(message)
            conversation.items.append(items(message).map(\.jsonText).joined(separator: ","))
        }
        let joined = conversation.items.filter { !$0.isEmpty }.joined(separator: ",")
        // No item at all: the head may end in a separator that needs one (OpenAI's, after the system message).
        guard !joined.isEmpty else { return whole(request, frame: frame, items: items) }
        var prepared = PreparedLLMRequest(
            body: conversation.head + joined + conversation.tail, maxTokens: request.maxTokens, extraHeaders: request.extraHeaders)
        prepared.conversation = conversation
        return prepared
    }

    /// Whether `request` is this conversation with messages added.
    func continues(into request: LLMRequest) -> Bool {
        request.system == system && request.maxTokens == maxTokens && request.tools == tools
            && request.messages.count >= messages.count && request.messages.starts(with: messages)
    }

    /// A provider's latest head and tail, for the next conversation with the same system prompt, tools and limit.
    final class Frames: Sendable {
        private let latest = Mutex<EncodedConversation?>(nil)

        init() {}

        /// The kept frame (no messages) if `request` has its system prompt, tools and token limit: a conversation with
        /// no messages that `request` continues.
        func frame(for request: LLMRequest) -> EncodedConversation? {
            latest.withLock { kept in kept.flatMap { $0.continues(into: request) ? $0 : nil } }
        }

        /// Keeps `conversation`'s frame, without its messages.
        func keep(_ conversation: EncodedConversation) {
            var frame = conversation
            frame.messages = []
            frame.items = []
            latest.withLock { $0 = frame }
        }
    }

    /// The body encoded whole, nothing kept.
    private static func whole(
        _ request: LLMRequest, frame: (LLMRequest, [JSONValue]) -> JSONValue, items: (LLMMessage) -> [JSONValue]
    ) -> PreparedLLMRequest {
        PreparedLLMRequest(
            body: frame(request, request.messages.flatMap(items)).jsonText, maxTokens: request.maxTokens, extraHeaders: request.extraHeaders)
    }
}
