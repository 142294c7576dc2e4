import Foundation

/// A provider's API key. Secret: ``description`` and ``debugDescription`` never show it, and it is read only when a
/// request is built.
public struct LLMAPIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Where the key comes from.
    public enum Source: Sendable, Hashable, CustomStringConvertible {
        /// An environment variable (`ANTHROPIC_API_KEY`, `OPENAI_API_KEY`).
        case environment(String)
        /// A file whose content (trimmed) is the key, e.g. a mounted Kubernetes secret.
        case file(String)
        /// The key itself (tests).
        case value(String)

        /// Names the variable or file, never the key.
        public var description: String {
            switch self {
            case .environment(let name): "environment variable \(name)"
            case .file(let path): "file \(path)"
            case .value: "inline value"
            }
        }

        /// Reads the key.
        /// - Throws: ``LLMProviderError`` `.configuration` when the variable is unset or empty or the file unreadable
        ///   or empty; the message names the source, never a value.
        public func resolve(provider: String, environment: [String: String] = ProcessInfo.processInfo.environment)
            throws(LLMProviderError) -> LLMAPIKey
        {
            let text: String?
            switch self {
            case .environment(let name): text = environment[name]
            case .file(let path): text = try? String(contentsOfFile: path, encoding: .utf8)
            case .value(let value): text = value
            }
            let key = text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !key.isEmpty else {
                throw LLMProviderError(.configuration, provider: provider, detail: "no API key in \(self)")
            }
            return LLMAPIKey(secret: key)
        }
    }

    /// The key. Use only to build a request header.
    public let secret: String

    public init(secret: String) {
        self.secret = secret
    }

    public var description: String { "LLMAPIKey(redacted)" }
    public var debugDescription: String { description }
}
