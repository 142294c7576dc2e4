import Foundation

/// Which LLM the workers of a local cluster talk to: a real provider configured in the environment, or the
/// simulator (`vigil llm-sim`) that the cluster starts itself.
///
/// Workers receive the choice as `VIGIL_LLM_PROVIDER`, `VIGIL_LLM_BASE_URL` and `VIGIL_LLM_MODEL` (and the API key
/// variable the provider reads), the same variables `vigil worker` documents for its `--llm-*` options.
struct LLMSetup: Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        case simulator
        case anthropic
        case openAICompatible
    }

    var kind: Kind
    /// `anthropic` or `openai`.
    var provider: String
    var baseURL: String?
    var model: String?

    /// The provider configured in `environment`, or nil when none is (then the simulator is used):
    /// `ANTHROPIC_API_KEY` selects Anthropic (at `VIGIL_LLM_BASE_URL` when set); an OpenAI-compatible base URL
    /// (`VIGIL_LLM_BASE_URL` with `VIGIL_LLM_PROVIDER=openai`, or `OPENAI_BASE_URL`) selects that server.
    static func configured(in environment: [String: String]) -> LLMSetup? {
        let model = environment["VIGIL_LLM_MODEL"].flatMap { $0.isEmpty ? nil : $0 }
        let baseURL = environment["VIGIL_LLM_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let provider = environment["VIGIL_LLM_PROVIDER"]?.lowercased()
        if provider == "openai", let url = baseURL ?? environment["OPENAI_BASE_URL"] {
            return LLMSetup(kind: .openAICompatible, provider: "openai", baseURL: url, model: model)
        }
        if let key = environment["ANTHROPIC_API_KEY"], !key.isEmpty, provider == nil || provider == "anthropic" {
            return LLMSetup(kind: .anthropic, provider: "anthropic", baseURL: baseURL, model: model)
        }
        if let url = environment["OPENAI_BASE_URL"] ?? (provider == nil ? nil : baseURL) {
            return LLMSetup(kind: .openAICompatible, provider: "openai", baseURL: url, model: model)
        }
        return nil
    }

    /// The simulator at `baseURL` (it speaks the Anthropic Messages API; any key is accepted). The model is the
    /// worker's default, so tokens are priced as that model's.
    static func simulator(baseURL: String) -> LLMSetup {
        LLMSetup(kind: .simulator, provider: "anthropic", baseURL: baseURL, model: nil)
    }

    /// Variables to add to each worker's environment.
    var workerEnvironment: [String: String] {
        var variables = ["VIGIL_LLM_PROVIDER": provider]
        if let baseURL { variables["VIGIL_LLM_BASE_URL"] = baseURL }
        if let model { variables["VIGIL_LLM_MODEL"] = model }
        if kind == .simulator { variables["ANTHROPIC_API_KEY"] = "vigil-llm-sim" }
        return variables
    }

    var description: String {
        switch kind {
        case .simulator: "the local LLM simulator (vigil llm-sim at \(baseURL ?? "?")): no real model, no cost"
        case .anthropic: "Anthropic (ANTHROPIC_API_KEY)\(baseURL.map { " at \($0)" } ?? "")\(model.map { ", model \($0)" } ?? "")"
        case .openAICompatible: "an OpenAI-compatible API at \(baseURL ?? "?")\(model.map { ", model \($0)" } ?? "")"
        }
    }
}
