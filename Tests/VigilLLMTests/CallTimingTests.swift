import Foundation
import Synchronization
import Testing
import VigilCore
@testable import VigilLLM
import VigilSimulator

/// Where a model call's time goes: the concurrency cap, the rate limiter, the wire, decoding and settling are each
/// recorded on the attempt, and the audit's totals and tool spans add them up (issue 7's overhead breakdown).
@Suite(.serialized)
struct CallTimingTests {
    /// Answers after `sendMilliseconds`, reporting `wireMilliseconds` of that as its time on the wire.
    struct TimedProvider: LLMProvider {
        let configuration = LLMProviderConfiguration(kind: .anthropic, baseURL: "http://127.0.0.1:9", apiKey: .value("k"))
        var sendMilliseconds: Int
        var wireMilliseconds: Int?

        func prepare(_ request: LLMRequest, continuing previous: PreparedLLMRequest?) -> PreparedLLMRequest {
            PreparedLLMRequest(body: "{}", maxTokens: request.maxTokens, extraHeaders: [])
        }

        func send(_ request: PreparedLLMRequest, timeout: Duration) async throws(LLMProviderError) -> LLMResponse {
            try? await Task.sleep(for: .milliseconds(sendMilliseconds))
            var response = LLMResponse(message: LLMMessage(role: .assistant, content: [.text("ok")]), stopReason: .endTurn, usage: LLMUsage(), model: "m")
            response.wireDuration = wireMilliseconds.map { .milliseconds($0) }
            return response
        }
    }

    /// Makes every acquire wait `acquireMilliseconds` and every finish `finishMilliseconds`.
    struct SlowLimiter: LLMRateLimiter {
        var acquireMilliseconds: Int
        var finishMilliseconds: Int

        func acquire(inputTokens: Int, maxOutputTokens: Int, deadline: ContinuousClock.Instant) async throws(LLMProviderError) -> LLMRatePermit {
            try? await Task.sleep(for: .milliseconds(acquireMilliseconds))
            return LLMRatePermit(inputTokens: inputTokens, outputTokens: maxOutputTokens)
        }

        func finish(_ permit: LLMRatePermit, usage: LLMUsage?, rateLimit: RateLimitHeaders) async {
            try? await Task.sleep(for: .milliseconds(finishMilliseconds))
        }

        func pause(for duration: Duration) async {}
    }

    static let request = LLMRequest(system: "s", messages: [.user("u")], tools: [], maxTokens: 16)

    /// One call through a client with `provider` and `limiter`, ending by `deadline`.
    static func call(
        _ provider: TimedProvider, _ limiter: SlowLimiter, deadline: Duration = .seconds(600)
    ) async -> LLMClient.Outcome {
        // A far deadline by default: on a starved machine a 40 ms sleep has taken seconds.
        await LLMClient(provider: provider, limiter: limiter).complete(Self.request, timeout: .seconds(600), deadline: .now + deadline)
    }

    @Test("an attempt's rate-limit wait, wire, decode and settle are measured apart and add up to its latency")
    func attemptPhases() async throws {
        let outcome = await Self.call(
            TimedProvider(sendMilliseconds: 60, wireMilliseconds: 25), SlowLimiter(acquireMilliseconds: 40, finishMilliseconds: 20))
        let attempt = try #require(outcome.attempts.first)
        #expect(outcome.attempts.count == 1)
        #expect(attempt.rateLimitWaitMilliseconds >= 40, "the limiter's wait: \(attempt)")
        #expect(attempt.wireMilliseconds == 25, "the provider's measured wire time, not the whole send")
        #expect(attempt.decodeMilliseconds >= 60 - 25 - 1, "the rest of the send is the worker's decoding: \(attempt)")
        #expect(attempt.settleMilliseconds >= 20, "the limiter's finish: \(attempt)")
        #expect(abs(attempt.wireMilliseconds + attempt.decodeMilliseconds + attempt.settleMilliseconds - attempt.latencyMilliseconds) < 0.001)
        #expect(attempt.latencyMilliseconds >= 80)
        #expect(outcome.encodeMilliseconds >= 0)
    }

    @Test("an attempt whose deadline passed while it waited for the limiter has no wire time; its settling is measured")
    func deadlinePassedWhileWaiting() async throws {
        let outcome = await Self.call(
            TimedProvider(sendMilliseconds: 10, wireMilliseconds: 10), SlowLimiter(acquireMilliseconds: 60, finishMilliseconds: 20),
            deadline: .milliseconds(30))
        let attempt = try #require(outcome.attempts.last)
        #expect(attempt.error == "timeout")
        #expect(attempt.wireMilliseconds == 0, "never sent: \(attempt)")
        #expect(attempt.settleMilliseconds >= 20, "\(attempt)")
        #expect(attempt.rateLimitWaitMilliseconds >= 60)
    }

    @Test("waiting for the worker's concurrency cap is recorded apart from the rate limiter's wait")
    func concurrencyWait() async throws {
        let client = LLMClient(
            provider: TimedProvider(sendMilliseconds: 80, wireMilliseconds: 80), configuration: LLMClient.Configuration(maxConcurrentCalls: 1))
        async let first = client.complete(Self.request, timeout: .seconds(600), deadline: .now + .seconds(600))
        async let second = client.complete(Self.request, timeout: .seconds(600), deadline: .now + .seconds(600))
        let attempts = [await first, await second].compactMap(\.attempts.first)
        #expect(attempts.count == 2)
        // One of the two waited for the other's whole send (80 ms) for the single slot.
        let waited = try #require(attempts.max { $0.concurrencyWaitMilliseconds < $1.concurrencyWaitMilliseconds })
        #expect(waited.concurrencyWaitMilliseconds >= 75, "\(attempts)")
        #expect(attempts.allSatisfy { $0.rateLimitWaitMilliseconds < 75 }, "the cap's wait is not the limiter's: \(attempts)")
    }

    @Test("a provider without a measured exchange counts the whole send as the wire's")
    func unmeasuredWire() async throws {
        let client = LLMClient(provider: TimedProvider(sendMilliseconds: 30, wireMilliseconds: nil))
        let attempt = try #require(await client.complete(Self.request, timeout: .seconds(600), deadline: .now + .seconds(600)).attempts.first)
        #expect(attempt.wireMilliseconds >= 30)
        #expect(attempt.decodeMilliseconds == 0)
    }

    @Test("the audit's totals: wire over every attempt, each turn's tools as one span, the agent's own time as the rest")
    func auditTotals() throws {
        var audit = TriageAudit(provider: "anthropic", model: "m")
        func attempt(wire: Double, wait: Double, decode: Double) -> LLMClient.Attempt {
            LLMClient.Attempt(
                status: 200, error: nil, latencyMilliseconds: wire + decode, rateLimitWaitMilliseconds: wait, concurrencyWaitMilliseconds: 1,
                wireMilliseconds: wire, decodeMilliseconds: decode, settleMilliseconds: 0)
        }
        audit.calls = [
            .init(turn: 1, usage: LLMUsage(), costUSD: 0, latencyMilliseconds: 120, attempts: [attempt(wire: 100, wait: 5, decode: 2)], encodeMilliseconds: 3),
            .init(turn: 2, usage: LLMUsage(), costUSD: 0, latencyMilliseconds: 50.0004, attempts: [attempt(wire: 40.1234, wait: 0, decode: 1)]),
        ]
        audit.toolCalls = [
            // Turn 0: two concurrent tools, 0–10 and 2–15 ms: one span of 15 ms.
            .init(turn: 0, name: "a", arguments: "{}", isError: false, evidenceIDs: [], latencyMilliseconds: 10, offsetMilliseconds: 0),
            .init(turn: 0, name: "b", arguments: "{}", isError: false, evidenceIDs: [], latencyMilliseconds: 13, offsetMilliseconds: 2),
            .init(turn: 1, name: "c", arguments: "{}", isError: false, evidenceIDs: [], latencyMilliseconds: 30, offsetMilliseconds: 140),
            // A refused call ran nothing.
            .init(turn: 1, name: "x", arguments: "{}", isError: true, refusal: "unknown tool", evidenceIDs: [], latencyMilliseconds: 0, offsetMilliseconds: 900),
        ]
        audit.latencyMilliseconds = 250
        #expect(audit.wireMilliseconds == 140.1234)
        #expect(audit.toolMilliseconds == 45)
        #expect(abs(audit.agentMilliseconds - (250 - 170.0004 - 45)) < 1e-9)
        #expect(audit.calls[0].admissionWaitMilliseconds == 6)
        #expect(audit.calls[0].codecMilliseconds == 5)
        #expect(audit.calls[0].otherMilliseconds == 120 - 100 - 6 - 5)
        let timing = try #require(audit.json["timing"])
        #expect(timing["wire_ms"]?.doubleValue == 140.123, "rounded to the microsecond")
        #expect(timing["tools_ms"]?.doubleValue == 45)
        #expect(timing["rate_limit_wait_ms"]?.doubleValue == 5)
        #expect(timing["admission_wait_ms"]?.doubleValue == 7)
        #expect(timing["codec_ms"]?.doubleValue == 6)
        #expect(audit.json["calls"]?.arrayValue?[1]["latency_ms"]?.doubleValue == 50, "latencies keep microseconds, not whole milliseconds")
        #expect(audit.json["tool_calls"]?.arrayValue?[2]["offset_ms"]?.doubleValue == 140)
    }

    /// Answers like ``FakeInvestigationTools`` after a delay.
    struct DelayedTools: InvestigationTools {
        let inner = FakeInvestigationTools()
        var delayMilliseconds: Int
        var toolDefinitions: [LLMToolDefinition] { inner.toolDefinitions }

        func call(name: String, arguments: JSONValue) async -> InvestigationToolResult {
            try? await Task.sleep(for: .milliseconds(delayMilliseconds))
            return await inner.call(name: name, arguments: arguments)
        }
    }

    @Test("over real HTTP: every attempt's wire time covers the simulator's latency; the pre-fetched tools run concurrently")
    func agentTimingOverHTTP() async throws {
        var configuration = SimulatorConfiguration.testing
        configuration.latencyMedianMilliseconds = 60
        configuration.latencySigma = 0
        try await LLMSimulator.withRunning(configuration) { sim in
            let outcome = await try makeAgent(.anthropic, sim, tools: DelayedTools(delayMilliseconds: 80)).investigate(alert: sampleAlert())
            let audit = outcome.audit
            #expect(audit.status == "verdict")
            for call in audit.calls {
                for attempt in call.attempts {
                    #expect(attempt.wireMilliseconds >= 60, "the simulator answered after 60 ms: \(attempt)")
                    #expect(attempt.wireMilliseconds <= attempt.latencyMilliseconds)
                }
                #expect(call.wireMilliseconds + call.codecMilliseconds <= call.latencyMilliseconds + 0.001)
            }
            #expect(audit.calls.count >= 2)
            #expect(zip(audit.calls, audit.calls.dropFirst()).allSatisfy { $0.offsetMilliseconds + $0.latencyMilliseconds <= $1.offsetMilliseconds })
            let prefetched = audit.toolCalls.filter { $0.turn == 0 }
            #expect(prefetched.count == 2)
            // Concurrent: the second started before the first ended, so the turn's span is one delay, not two.
            let first = try #require(prefetched.min { $0.offsetMilliseconds < $1.offsetMilliseconds })
            let second = try #require(prefetched.max { $0.offsetMilliseconds < $1.offsetMilliseconds })
            #expect(second.offsetMilliseconds < first.offsetMilliseconds + first.latencyMilliseconds, "\(prefetched)")
            #expect(prefetched.map(\.name) == ["get_iam_principal_history", "lookup_ip_reputation"], "rendered in the configured order")
            #expect(audit.toolMilliseconds < audit.toolCalls.reduce(0) { $0 + $1.latencyMilliseconds })
            #expect(audit.agentMilliseconds >= 0)
            #expect(audit.latencyMilliseconds >= audit.wireMilliseconds + audit.toolMilliseconds)
        }
    }
}
