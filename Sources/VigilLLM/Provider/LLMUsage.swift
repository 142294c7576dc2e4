/// Token usage of one model call, as the provider reported it.
public struct LLMUsage: Sendable, Hashable, Codable {
    /// Uncached input tokens.
    public var inputTokens: Int
    public var outputTokens: Int
    /// Input tokens read from the prompt cache (Anthropic).
    public var cacheReadInputTokens: Int
    /// Input tokens written to the prompt cache (Anthropic).
    public var cacheCreationInputTokens: Int

    public init(inputTokens: Int = 0, outputTokens: Int = 0, cacheReadInputTokens: Int = 0, cacheCreationInputTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadInputTokens = cacheReadInputTokens
        self.cacheCreationInputTokens = cacheCreationInputTokens
    }

    /// Every input token, cached or not: what an input-tokens-per-minute limit counts.
    public var totalInputTokens: Int { inputTokens + cacheReadInputTokens + cacheCreationInputTokens }

    public static func + (a: LLMUsage, b: LLMUsage) -> LLMUsage {
        LLMUsage(
            inputTokens: a.inputTokens + b.inputTokens,
            outputTokens: a.outputTokens + b.outputTokens,
            cacheReadInputTokens: a.cacheReadInputTokens + b.cacheReadInputTokens,
            cacheCreationInputTokens: a.cacheCreationInputTokens + b.cacheCreationInputTokens
        )
    }

    public static func += (a: inout LLMUsage, b: LLMUsage) { a = a + b }
}
