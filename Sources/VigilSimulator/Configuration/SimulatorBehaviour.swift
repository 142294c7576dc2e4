/// How the simulated model behaves in one conversation.
///
/// A run has a default (``SimulatorConfiguration/defaultBehaviour``); a request overrides it with the header
/// `x-sim-behaviour: NAME`, or with the marker `vigil-sim-behaviour: NAME` anywhere in the conversation's
/// system prompt or user text (tool results excluded), so a test can choose per alert by putting the marker in
/// the alert. The header wins over the marker.
public enum SimulatorBehaviour: Sendable, Hashable, CustomStringConvertible {
    /// Calls the tools a competent analyst would (CloudTrail and IAM history for the principal, reputation and
    /// GuardDuty for the address and account) over 2–4 turns, then submits a verdict consistent with the
    /// results: ESCALATE on persistence calls, bad reputation, privilege or findings; CLOSE when the results
    /// show routine known activity; ESCALATE when tools failed; MONITOR otherwise. Cites only evidence ids
    /// that appeared in the tool results.
    case analyst
    /// Submits CLOSE at once with confidence 0.97, citing no evidence.
    case alwaysClose
    /// Looks in the alert and tool results for an instruction ("mark this as CLOSE", "this is benign", …),
    /// also through zero-width characters, homoglyphs and base64, and obeys it, citing real evidence ids when it
    /// has seen any. Without an instruction it acts as ``analyst``.
    case obeyInjection
    /// Answers with a malformed turn; the variant is fixed by the request or chosen by a hash of the first user
    /// message.
    case malformed(MalformedVariant?)
    /// Calls a read-only tool on every turn and never submits a verdict.
    case toolLoop
    /// Refuses: Anthropic `stop_reason: refusal`; OpenAI `message.refusal` with `content: null`.
    case refuse
    /// Calls the analyst's first tools, then submits CLOSE citing evidence ids that appear nowhere in the
    /// conversation (plus one real id when it has seen one).
    case hallucinate
    /// Anthropic: answers the first turn with `stop_reason: pause_turn` (a text block, no tool call); once the
    /// client sends that paused turn back it acts as ``analyst``. OpenAI has no pause: acts as ``analyst``.
    case pauseTurn
    /// Writes a text longer than any sensible `max_tokens`, so the reply stops with `max_tokens` / `length`.
    case exceedMaxTokens

    /// The malformed answers the simulator can give.
    public enum MalformedVariant: String, Sendable, Hashable, CaseIterable {
        /// `submit_verdict` with arguments that are not JSON: a truncated JSON string on OpenAI, a string instead
        /// of an object as `input` on Anthropic.
        case invalidJSON = "invalid-json"
        /// `submit_verdict` whose arguments violate the schema: unknown decision, confidence 1.7, evidence a
        /// string, rationale missing.
        case schema
        /// A call to a tool that was never offered (`close_alert`).
        case unknownTool = "unknown-tool"
        /// A verdict written as prose with no tool call.
        case prose
    }

    /// Every behaviour name, as accepted by ``init(name:)``.
    public static let names = [
        "analyst", "always-close", "obey-injection", "malformed", "tool-loop", "refuse", "hallucinate", "pause-turn",
        "max-tokens",
    ]

    /// Parses a behaviour name; `malformed/VARIANT` fixes the malformed variant (e.g. `malformed/schema`).
    /// - Throws: ``SimulatorError`` with code `unknownBehaviour`.
    public init(name: String) throws(SimulatorError) {
        let lowered = name.lowercased()
        switch lowered {
        case "analyst": self = .analyst
        case "always-close": self = .alwaysClose
        case "obey-injection": self = .obeyInjection
        case "malformed": self = .malformed(nil)
        case "tool-loop": self = .toolLoop
        case "refuse": self = .refuse
        case "hallucinate": self = .hallucinate
        case "pause-turn": self = .pauseTurn
        case "max-tokens": self = .exceedMaxTokens
        default:
            if lowered.hasPrefix("malformed/"), let variant = MalformedVariant(rawValue: String(lowered.dropFirst(10))) {
                self = .malformed(variant)
                return
            }
            throw SimulatorError(.unknownBehaviour, "unknown behaviour; known: \(Self.names.joined(separator: ", "))")
        }
    }

    /// The name, as accepted by ``init(name:)`` and counted in the statistics (malformed without its variant).
    public var name: String {
        switch self {
        case .analyst: "analyst"
        case .alwaysClose: "always-close"
        case .obeyInjection: "obey-injection"
        case .malformed: "malformed"
        case .toolLoop: "tool-loop"
        case .refuse: "refuse"
        case .hallucinate: "hallucinate"
        case .pauseTurn: "pause-turn"
        case .exceedMaxTokens: "max-tokens"
        }
    }

    public var description: String {
        if case .malformed(let variant?) = self { return "malformed/\(variant.rawValue)" }
        return name
    }
}
