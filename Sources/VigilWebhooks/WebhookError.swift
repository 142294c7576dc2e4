/// An error configuring or delivering webhooks. `description` names the webhook and the field, never a secret,
/// a URL (it may embed a token) or a payload.
public struct WebhookError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        /// The configuration file is unreadable or a field is invalid.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// A secret's environment variable or file is missing or empty.
        public static let missingSecret = Code("missingSecret")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "WebhookError(\(code)): \(message)" }
}
