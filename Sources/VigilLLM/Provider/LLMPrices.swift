/// Prices of one model in US dollars per million tokens, for cost accounting.
public struct LLMPrices: Sendable, Hashable, Codable {
    public var inputPerMillion: Double
    public var outputPerMillion: Double
    public var cacheReadPerMillion: Double
    public var cacheWritePerMillion: Double

    public init(inputPerMillion: Double, outputPerMillion: Double, cacheReadPerMillion: Double? = nil, cacheWritePerMillion: Double? = nil) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
        self.cacheReadPerMillion = cacheReadPerMillion ?? inputPerMillion * 0.1
        self.cacheWritePerMillion = cacheWritePerMillion ?? inputPerMillion * 1.25
    }

    /// Claude Haiku 4.5's list prices: $1 input, $5 output, $0.10 cache read, $1.25 cache write (5-minute) per million.
    public static let claudeHaiku45 = LLMPrices(inputPerMillion: 1, outputPerMillion: 5, cacheReadPerMillion: 0.1, cacheWritePerMillion: 1.25)
    /// A self-hosted model: no per-token price.
    public static let free = LLMPrices(inputPerMillion: 0, outputPerMillion: 0, cacheReadPerMillion: 0, cacheWritePerMillion: 0)

    /// The cost of `usage` in US dollars.
    public func cost(of usage: LLMUsage) -> Double {
        (Double(usage.inputTokens) * inputPerMillion + Double(usage.outputTokens) * outputPerMillion
            + Double(usage.cacheReadInputTokens) * cacheReadPerMillion + Double(usage.cacheCreationInputTokens) * cacheWritePerMillion) / 1_000_000
    }
}
