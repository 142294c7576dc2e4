/// One sign that untrusted text is trying to instruct the model.
///
/// Names a pattern and a category, never the matched text: the text is untrusted and may be long or hostile.
public struct InjectionSignal: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Category: String, Sendable, Hashable, Codable, CaseIterable {
        /// "ignore previous instructions", "you are now", "do not escalate", …
        case overrideInstruction = "override_instruction"
        /// Chat-template tokens and role labels: `<|im_start|>`, `[INST]`, `system:`, …
        case roleMarker = "role_marker"
        /// Verdict words used as instructions: "mark as benign", "decision: CLOSE", a field that is just "CLOSE", …
        case verdictDirective = "verdict_directive"
        /// Text addressed to an AI, assistant or analyst.
        case addressedToModel = "addressed_to_model"
        /// Text hidden in invisible characters (tag characters, variation selectors).
        case hiddenText = "hidden_text"
        /// Obfuscation: mixed-script words (homoglyphs), invisible characters inside words.
        case obfuscation
    }

    /// How the text was encoded where the signal was found.
    public enum Encoding: String, Sendable, Hashable, Codable, CaseIterable {
        case plain
        case base64
        case hex
        case percent
        case escapes
        case hidden
        case squeezed
    }

    public var category: Category
    /// The pattern's id (`ignore_previous`, `chat_template_token`, …).
    public var pattern: String
    public var encoding: Encoding
    /// A strong signal flags a field on its own; weak ones need a second, different one.
    public var strong: Bool

    public init(category: Category, pattern: String, encoding: Encoding = .plain, strong: Bool) {
        self.category = category
        self.pattern = pattern
        self.encoding = encoding
        self.strong = strong
    }

    public var description: String { "\(category.rawValue)/\(pattern)\(encoding == .plain ? "" : "(\(encoding.rawValue))")\(strong ? "" : "?")" }
}
