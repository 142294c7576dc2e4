import Foundation

extension LLMProviderConfiguration {
    /// The provider a worker uses from `VIGIL_LLM_PROVIDER` (`anthropic` | `openai`), `VIGIL_LLM_BASE_URL` and
    /// `VIGIL_LLM_MODEL` (the key from `ANTHROPIC_API_KEY` / `OPENAI_API_KEY`, read later by ``validate(environment:)``).
    ///
    /// Flags override the environment: pass `vigil worker --llm-provider/--llm-base-url/--llm-model` values as
    /// `provider`, `baseURL`, `model`.
    /// - Returns: nil when no provider is named: the AI path is off (rule path only, verdicts marked `ai_disabled`).
    /// - Throws: ``LLMProviderError`` `.configuration` for an unknown provider name.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        provider: String? = nil,
        baseURL: String? = nil,
        model: String? = nil
    ) throws(LLMProviderError) -> LLMProviderConfiguration? {
        func value(_ flag: String?, _ name: String) -> String? {
            let text = flag ?? environment[name]
            return text?.isEmpty == false ? text : nil
        }
        guard let name = value(provider, "VIGIL_LLM_PROVIDER") else { return nil }
        guard let kind = Kind(rawValue: name.lowercased()) else {
            throw LLMProviderError(.configuration, provider: name, detail: "--llm-provider must be anthropic or openai")
        }
        let base = value(baseURL, "VIGIL_LLM_BASE_URL")
        if kind == .openAI, base == nil {
            throw LLMProviderError(.configuration, provider: name, detail: "an OpenAI-compatible provider needs --llm-base-url")
        }
        return LLMProviderConfiguration(kind: kind, baseURL: base, model: value(model, "VIGIL_LLM_MODEL"))
    }
}
