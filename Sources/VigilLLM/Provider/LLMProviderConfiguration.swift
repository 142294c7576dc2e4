/// Everything that configures one LLM provider. Defaults in the initialisers; ``validate()`` at start-up.
///
/// Keys: ``kind``; ``baseURL`` (default `https://api.anthropic.com` for Anthropic, required for OpenAI-compatible
/// servers); ``model`` (default `claude-haiku-4-5-20251001` for Anthropic); ``apiKey`` (secret: where to read it,
/// default `ANTHROPIC_API_KEY` / `OPENAI_API_KEY`; nil sends no key, for local servers); ``requestTimeout`` (60 s);
/// ``prices`` (per million tokens); ``anthropicVersion`` (`2023-06-01`); ``maxResponseBytes`` (8 MiB).
public struct LLMProviderConfiguration: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Anthropic's Messages API (`POST /v1/messages`).
        case anthropic
        /// An OpenAI-compatible Chat Completions API (`POST /v1/chat/completions`): vLLM, Ollama, llama.cpp.
        case openAI = "openai"
    }

    public static let defaultAnthropicModel = "claude-haiku-4-5-20251001"
    public static let defaultAnthropicBaseURL = "https://api.anthropic.com"

    public var kind: Kind
    /// Scheme, host and port, without the `/v1/…` path.
    public var baseURL: String
    public var model: String
    /// Where to read the key; nil sends none. Secret.
    public var apiKey: LLMAPIKey.Source?
    /// Longest wait for one HTTP response (the agent may set a shorter per-call timeout).
    public var requestTimeout: Duration
    public var prices: LLMPrices
    /// The `anthropic-version` header.
    public var anthropicVersion: String
    /// Largest response body read.
    public var maxResponseBytes: Int

    public init(
        kind: Kind,
        baseURL: String? = nil,
        model: String? = nil,
        apiKey: LLMAPIKey.Source?? = nil,
        requestTimeout: Duration = .seconds(60),
        prices: LLMPrices? = nil,
        anthropicVersion: String = "2023-06-01",
        maxResponseBytes: Int = 8 << 20
    ) {
        self.kind = kind
        self.baseURL = baseURL ?? (kind == .anthropic ? Self.defaultAnthropicBaseURL : "")
        self.model = model ?? (kind == .anthropic ? Self.defaultAnthropicModel : "")
        self.apiKey = apiKey ?? .environment(kind == .anthropic ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY")
        self.requestTimeout = requestTimeout
        self.prices = prices ?? (kind == .anthropic ? .claudeHaiku45 : .free)
        self.anthropicVersion = anthropicVersion
        self.maxResponseBytes = maxResponseBytes
    }

    /// The endpoint URL.
    public var endpoint: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + (kind == .anthropic ? "/v1/messages" : "/v1/chat/completions")
    }

    /// Checks every key and reads the API key.
    /// - Throws: ``LLMProviderError`` `.configuration` naming the key at fault (never a secret).
    public func validate(environment: [String: String]? = nil) throws(LLMProviderError) -> LLMAPIKey? {
        func fail(_ message: String) -> LLMProviderError { LLMProviderError(.configuration, provider: kind.rawValue, detail: message) }
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else { throw fail("base URL must start with http:// or https://") }
        guard !model.isEmpty else { throw fail("model must be set") }
        guard requestTimeout > .zero else { throw fail("request timeout must be positive") }
        guard maxResponseBytes > 0 else { throw fail("max response bytes must be positive") }
        guard let apiKey else { return nil }
        if let environment { return try apiKey.resolve(provider: kind.rawValue, environment: environment) }
        return try apiKey.resolve(provider: kind.rawValue)
    }

    /// Every key; the API key only as its source.
    public var description: String {
        "LLMProviderConfiguration(\(kind.rawValue), base URL: \(baseURL), model: \(model), key: \(apiKey.map(\.description) ?? "none"), "
            + "timeout: \(requestTimeout))"
    }
}
