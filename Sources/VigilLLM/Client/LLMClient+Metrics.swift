import CoreMetrics
import VigilCore

extension LLMClient {
    /// Records one attempt through swift-metrics under ``VigilCore/MetricName``: requests by status, tokens,
    /// estimated cost, 429s and the circuit breaker's state. Labels: provider kind and model only.
    func recordMetrics(_ result: Result<LLMResponse, LLMProviderError>, _ attempt: Attempt) {
        let labels = [("provider", provider.configuration.kind.rawValue), ("model", provider.configuration.model)]
        let status = attempt.status.map(String.init) ?? attempt.error ?? "none"
        // Calls the breaker or the limiter refused before sending are not requests.
        if attempt.status != nil || attempt.error == LLMProviderError.Code.timeout.description
            || attempt.error == LLMProviderError.Code.transport.description
        {
            Counter(label: MetricName.llmRequests, dimensions: labels + [("status", status)]).increment()
        }
        if attempt.status == 429 { Counter(label: MetricName.llmRateLimited, dimensions: labels).increment() }
        if case .success(let response) = result {
            Counter(label: MetricName.llmTokens, dimensions: labels + [("direction", "input")]).increment(by: response.usage.totalInputTokens)
            Counter(label: MetricName.llmTokens, dimensions: labels + [("direction", "output")]).increment(by: response.usage.outputTokens)
            FloatingPointCounter(label: MetricName.llmCost, dimensions: labels).increment(by: provider.configuration.prices.cost(of: response.usage))
        }
        Gauge(label: MetricName.llmCircuitOpen, dimensions: labels).record(circuitOpen ? 1 : 0)
    }
}
