import Foundation
import Testing

@testable import VigilCore

@Suite struct RateLimitHeadersTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21T14:13:20Z

    @Test func anthropicHeaders() {
        let headers = RateLimitHeaders.anthropic(
            [
                ("anthropic-ratelimit-requests-limit", "50"), ("anthropic-ratelimit-requests-remaining", "49"),
                ("anthropic-ratelimit-requests-reset", "2026-09-21T14:13:21Z"),
                ("Anthropic-RateLimit-Input-Tokens-Limit", "50000"), ("anthropic-ratelimit-input-tokens-remaining", "48000"),
                ("anthropic-ratelimit-input-tokens-reset", "2026-09-21T14:13:22.500Z"),
                ("anthropic-ratelimit-output-tokens-remaining", "9000"),
                ("anthropic-ratelimit-tokens-remaining", " 57000 "),
                ("retry-after", "7"),
            ],
            now: now
        )
        #expect(headers.requests == RateLimitObservation(limit: 50, remaining: 49, resetIn: .seconds(1)))
        #expect(headers.inputTokens == RateLimitObservation(limit: 50_000, remaining: 48_000, resetIn: .milliseconds(2500)))
        #expect(headers.outputTokens == RateLimitObservation(remaining: 9_000))
        #expect(headers.tokens == RateLimitObservation(remaining: 57_000))
        #expect(headers.retryAfter == .seconds(7))
    }

    @Test func openAIHeaders() {
        let headers = RateLimitHeaders.openAI(
            [
                ("x-ratelimit-limit-requests", "60"), ("x-ratelimit-remaining-requests", "59"), ("x-ratelimit-reset-requests", "1s"),
                ("x-ratelimit-limit-tokens", "150000"), ("x-ratelimit-remaining-tokens", "149984"), ("x-ratelimit-reset-tokens", "6m0s"),
            ],
            now: now
        )
        #expect(headers.requests == RateLimitObservation(limit: 60, remaining: 59, resetIn: .seconds(1)))
        #expect(headers.tokens == RateLimitObservation(limit: 150_000, remaining: 149_984, resetIn: .seconds(360)))
        #expect(headers.inputTokens == nil && headers.retryAfter == nil)
    }

    @Test(arguments: [
        ("1s", Duration.seconds(1)), ("6m0s", .seconds(360)), ("20ms", .milliseconds(20)), ("1h2m3.5s", .milliseconds(3_723_500)),
        ("150us", .microseconds(150)), ("0s", .zero),
    ])
    func goDurations(_ text: String, _ expected: Duration) {
        #expect(RateLimitHeaders.goDuration(text) == expected)
    }

    @Test(arguments: ["", "5", "1x", "m", "-1s"])
    func badGoDurations(_ text: String) {
        #expect(RateLimitHeaders.goDuration(text) == nil)
    }

    @Test func retryAfterForms() {
        #expect(RateLimitHeaders.openAI([("Retry-After", "0.25")], now: now).retryAfter == .milliseconds(250))
        #expect(RateLimitHeaders.openAI([("retry-after-ms", "1500"), ("retry-after", "9")], now: now).retryAfter == .milliseconds(1500))
        #expect(RateLimitHeaders.openAI([("retry-after", "Mon, 21 Sep 2026 14:13:50 GMT")], now: now).retryAfter == .seconds(30))
        #expect(RateLimitHeaders.openAI([("retry-after", "soon")], now: now).retryAfter == nil)
        #expect(RateLimitHeaders.anthropic([("anthropic-ratelimit-requests-reset", "garbage")], now: now).requests == nil)
    }

    @Test func resetKeepsTheBucketFromRefillingFasterThanTheProvider() {
        // 60/min refills 1 a second; the provider says it will be full only in 30 s though 50 remain.
        var bucket = TokenBucket(perMinute: 60, now: at(0))
        bucket.observe(limit: nil, remaining: 50, resetIn: .seconds(30), now: at(0))
        #expect(bucket.available == 30)
        bucket.refill(now: at(30))
        #expect(bucket.available == 60)
    }

    @Test func appliedHeadersCapBothTokenBucketsAndPause() {
        var state = RateLimiterState(
            limits: RateLimits(requestsPerMinute: 60, inputTokensPerMinute: 60_000, outputTokensPerMinute: 12_000),
            now: at(0)
        )
        state.observe(
            RateLimitHeaders(requests: .init(remaining: 10), tokens: .init(limit: 1, remaining: 5_000), retryAfter: .seconds(3)),
            now: at(0)
        )
        #expect(state.requests.available == 10)
        #expect(state.inputTokens.available == 5_000 && state.outputTokens.available == 5_000)
        // A combined limit's `limit` does not shrink either bucket's capacity.
        #expect(state.inputTokens.capacity == 60_000 && state.outputTokens.capacity == 12_000)
        #expect(state.pausedUntil == at(3))
    }

    @Test func fieldValuesLoseTheWhitespaceHTTPAllowsAroundThem() {
        #expect(RateLimitHeaders.trimmingOptionalWhitespace(" \t49 ") == "49")
        #expect(RateLimitHeaders.trimmingOptionalWhitespace("49") == "49")
        #expect(RateLimitHeaders.trimmingOptionalWhitespace(" \t ") == "")
        #expect(RateLimitHeaders.trimmingOptionalWhitespace("a b") == "a b")
        let headers = RateLimitHeaders.anthropic(
            [("Anthropic-RateLimit-Requests-Remaining", "  49\t"), ("anthropic-ratelimit-requests-reset", " 2026-09-21T14:13:21+00:00 ")],
            now: now)
        #expect(headers.requests == RateLimitObservation(remaining: 49, resetIn: .seconds(1)))
    }
}
