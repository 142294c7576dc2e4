import VigilCore

/// A model API: turns a provider-neutral ``LLMRequest`` into one HTTP call and its answer into an ``LLMResponse``.
///
/// A provider makes exactly one attempt per ``send(_:timeout:)``: retries, rate limits and the circuit breaker are
/// the ``LLMClient``'s.
public protocol LLMProvider: Sendable {
    var configuration: LLMProviderConfiguration { get }
    /// Encodes a request; the body's size gives the input-token estimate the rate limiter reserves.
    /// - Parameter previous: the prepared request of the same conversation's previous turn, if any: what it encoded is
    ///   reused when `request` continues it (same system prompt, tools and token limit; its messages, then more).
    func prepare(_ request: LLMRequest, continuing previous: PreparedLLMRequest?) -> PreparedLLMRequest
    /// Sends a prepared request once.
    /// - Throws: ``LLMProviderError`` for every failure, with the status and rate-limit headers when there was a response.
    func send(_ request: PreparedLLMRequest, timeout: Duration) async throws(LLMProviderError) -> LLMResponse
}

/// A request encoded for one provider's wire format.
public struct PreparedLLMRequest: Sendable {
    /// The JSON body. Carries sanitised alert data: never logged.
    public var body: String
    public var maxTokens: Int
    public var extraHeaders: [(name: String, value: String)]
    /// The body in parts, for the conversation's next turn (nil when the provider keeps none).
    var conversation: EncodedConversation?

    public init(body: String, maxTokens: Int, extraHeaders: [(name: String, value: String)]) {
        self.body = body
        self.maxTokens = maxTokens
        self.extraHeaders = extraHeaders
    }

    /// Input tokens estimated as body bytes / 4, rounded up: what the rate limiter reserves before the call.
    public var estimatedInputTokens: Int { max(1, (body.utf8.count + 3) / 4) }
}

extension LLMProvider {
    /// Encodes a request on its own.
    public func prepare(_ request: LLMRequest) -> PreparedLLMRequest { prepare(request, continuing: nil) }
}

extension LLMProviderConfiguration {
    /// The provider for this configuration, reading the API key now.
    /// - Throws: ``LLMProviderError`` `.configuration`.
    public func makeProvider(transport: LLMHTTPTransport = LLMHTTPTransport()) throws(LLMProviderError) -> any LLMProvider {
        let key = try validate()
        switch kind {
        case .anthropic: return AnthropicProvider(configuration: self, apiKey: key, transport: transport)
        case .openAI: return OpenAIProvider(configuration: self, apiKey: key, transport: transport)
        }
    }
}
