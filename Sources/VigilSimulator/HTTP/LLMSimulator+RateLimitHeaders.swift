import Foundation
import HTTPTypes

extension LLMSimulator {
    /// The rate-limit headers of one API for the limits configured:
    /// Anthropic `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`, reset
    /// as the RFC 3339 time the bucket is full again; OpenAI `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`,
    /// reset as a duration (`12ms`, `8.5s`, `1m0s`). `tokens` is the more restrictive of the two token limits.
    func rateLimitHeaders(_ api: SimulatedAPI, _ snapshot: SimulatorRateLimiter.Snapshot) -> HTTPFields {
        var headers = HTTPFields()
        func add(_ name: String, _ value: String) { headers[HTTPField.Name(name)!] = value }
        switch api {
        case .anthropic:
            let wallNow = Date()
            let limits = [
                ("requests", snapshot.requests), ("tokens", snapshot.tokens), ("input-tokens", snapshot.inputTokens),
                ("output-tokens", snapshot.outputTokens),
            ]
            for case (let name, let state?) in limits {
                add("anthropic-ratelimit-\(name)-limit", String(state.limit))
                add("anthropic-ratelimit-\(name)-remaining", String(state.remaining))
                let reset = wallNow.addingTimeInterval(state.secondsUntilFull.rounded(.up))
                add("anthropic-ratelimit-\(name)-reset", reset.formatted(.iso8601))
            }
        case .openAI:
            for case (let name, let state?) in [("requests", snapshot.requests), ("tokens", snapshot.tokens)] {
                add("x-ratelimit-limit-\(name)", String(state.limit))
                add("x-ratelimit-remaining-\(name)", String(state.remaining))
                add("x-ratelimit-reset-\(name)", Self.openAIDuration(state.secondsUntilFull))
            }
        }
        return headers
    }

    /// A duration as OpenAI writes it: `0s`, `250ms`, `8.5s`, `1m30s`.
    static func openAIDuration(_ seconds: Double) -> String {
        if seconds <= 0 { return "0s" }
        if seconds < 1 { return "\(max(1, Int((seconds * 1000).rounded(.up))))ms" }
        let minutes = Int(seconds / 60)
        let rest = seconds - Double(minutes) * 60
        let restText = rest == rest.rounded() ? String(Int(rest)) : String(format: "%.3f", rest).replacing(/0+$/, with: "")
        return minutes > 0 ? "\(minutes)m\(restText)s" : "\(restText)s"
    }
}
