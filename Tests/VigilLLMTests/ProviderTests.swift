import Foundation
import Testing
import VigilCore
import VigilLLM
import VigilSimulator

/// Wire formats, error handling and retries of both providers.
@Suite("Providers")
struct ProviderTests {
    static let request = LLMRequest(
        system: "sys",
        messages: [
            .user("hello"),
            LLMMessage(role: .assistant, content: [
                .text("looking"),
                .toolCall(LLMToolCall(id: "t1", name: "lookup_ip_reputation", arguments: .object(["ip_address": "203.0.113.7"]))),
                .toolCall(LLMToolCall(id: "t2", name: "get_vpc_flow_logs", arguments: .invalid(raw: "{\"source_ip\": "))),
            ]),
            LLMMessage(role: .user, content: [
                .toolResult(LLMToolResult(toolCallID: "t1", content: "{}")),
                .toolResult(LLMToolResult(toolCallID: "t2", content: "bad arguments", isError: true)),
            ]),
        ],
        tools: [LLMToolDefinition(name: "lookup_ip_reputation", description: "d", inputSchema: ["type": "object"])],
        maxTokens: 333
    )

    @Test("Anthropic: top-level system, input_schema, one tool_result per tool_use_id, is_error only on failures")
    func anthropicEncoding() throws {
        let body = AnthropicProvider.encode(Self.request, model: "m")
        #expect(body["model"]?.stringValue == "m")
        #expect(body["max_tokens"]?.intValue == 333)
        #expect(body["system"]?.arrayValue?.first?["text"]?.stringValue == "sys")
        #expect(body["tools"]?.arrayValue?.first?["input_schema"] != nil)
        #expect(body["tool_choice"] == nil)
        let messages = try #require(body["messages"]?.arrayValue)
        #expect(messages.count == 3)
        let uses = try #require(messages[1]["content"]?.arrayValue).filter { $0["type"]?.stringValue == "tool_use" }
        #expect(uses.map { $0["id"]?.stringValue } == ["t1", "t2"])
        #expect(uses[1]["input"] == .object([:]))  // invalid arguments go back as an empty object
        let results = try #require(messages[2]["content"]?.arrayValue)
        #expect(results.map { $0["tool_use_id"]?.stringValue } == ["t1", "t2"])
        #expect(results[0]["is_error"] == nil)
        #expect(results[1]["is_error"] == true)
    }

    /// The conversation of ``request`` one turn at a time, each turn continuing the previous one's prepared request.
    @Test("a conversation's turns reuse what earlier turns encoded, byte for byte as encoding each whole", arguments: LLMProviderConfiguration.Kind.allCases)
    func continuedEncoding(kind: LLMProviderConfiguration.Kind) throws {
        let provider = try LLMProviderConfiguration(kind: kind, baseURL: "http://127.0.0.1:9", model: "m", apiKey: .value("k")).makeProvider()
        var previous: PreparedLLMRequest?
        for turn in 1...Self.request.messages.count {
            var request = Self.request
            request.messages = Array(request.messages.prefix(turn))
            let continued = provider.prepare(request, continuing: previous)
            #expect(continued.body == provider.prepare(request).body, "turn \(turn)")
            #expect(try JSONParser().parse(continued.body)["messages"] != nil)
            previous = continued
        }
        // A request that does not continue the conversation (another system prompt, a message changed, fewer
        // messages) is encoded whole, not spliced onto the old parts.
        var other = Self.request
        other.system = "another"
        #expect(provider.prepare(other, continuing: previous).body == provider.prepare(other).body)
        var changed = Self.request
        changed.messages[0] = .user("changed")
        #expect(provider.prepare(changed, continuing: previous).body == provider.prepare(changed).body)
        var shorter = Self.request
        shorter.messages.removeLast()
        #expect(provider.prepare(shorter, continuing: previous).body == provider.prepare(shorter).body)
        // Continued with no message at all: still valid JSON.
        var empty = Self.request
        empty.messages = []
        #expect(try JSONParser().parse(provider.prepare(empty, continuing: nil).body)["model"] != nil)
    }

    @Test("OpenAI: system message, tools as functions, arguments as JSON strings, role tool replies, no tool_choice")
    func openAIEncoding() throws {
        let body = OpenAIProvider.encode(Self.request, model: "m")
        let messages = try #require(body["messages"]?.arrayValue)
        #expect(messages.map { $0["role"]?.stringValue } == ["system", "user", "assistant", "tool", "tool"])
        let calls = try #require(messages[2]["tool_calls"]?.arrayValue)
        #expect(calls[0].value(atPath: "function.arguments")?.stringValue == #"{"ip_address":"203.0.113.7"}"#)
        #expect(calls[1].value(atPath: "function.arguments")?.stringValue == #"{"source_ip": "#)
        #expect(messages[4]["content"]?.stringValue?.hasPrefix("ERROR: ") == true)
        #expect(body["tools"]?.arrayValue?.first?["type"] == "function")
        #expect(body["tools"]?.arrayValue?.first?.value(atPath: "function.parameters") != nil)
        #expect(body["tool_choice"] == nil)
    }

    @Test("OpenAI: non-empty tool_calls is a tool turn whatever finish_reason says; arguments are validated")
    func openAIDecoding() throws {
        let reply: JSONValue = [
            "model": "m",
            "choices": [[
                "finish_reason": "stop",
                "message": [
                    "role": "assistant", "content": nil,
                    "tool_calls": [
                        ["id": "c1", "type": "function", "function": ["name": "a", "arguments": #"{"x":1}"#]],
                        ["id": "c2", "type": "function", "function": ["name": "b", "arguments": #"{"x":"#]],
                        ["id": "c3", "type": "function", "function": ["name": "c", "arguments": #"[1,2]"#]],
                    ],
                ],
            ]],
            "usage": ["prompt_tokens": 10, "completion_tokens": 5],
        ]
        let response = try OpenAIProvider.decode(reply)
        #expect(response.stopReason == .toolUse)
        let calls = response.message.toolCalls
        #expect(calls.map(\.id) == ["c1", "c2", "c3"])
        #expect(calls[0].arguments.value == ["x": 1])
        #expect(calls[1].arguments == .invalid(raw: #"{"x":"#))
        #expect(calls[2].arguments == .invalid(raw: "[1,2]"))
        #expect(response.usage == LLMUsage(inputTokens: 10, outputTokens: 5))
    }

    @Test("OpenAI: refusal, content_filter and length", arguments: [
        (["content": nil, "refusal": "no"] as JSONValue, "stop", LLMStopReason.refusal),
        (["content": "x"] as JSONValue, "content_filter", LLMStopReason.refusal),
        (["content": "x"] as JSONValue, "length", LLMStopReason.maxTokens),
        (["content": "x"] as JSONValue, "stop", LLMStopReason.endTurn),
    ])
    func openAIStops(message: JSONValue, finish: String, expected: LLMStopReason) throws {
        let reply: JSONValue = ["choices": [["finish_reason": .string(finish), "message": message]]]
        #expect(try OpenAIProvider.decode(reply).stopReason == expected)
    }

    @Test("Anthropic: stop reasons, usage with cache tokens, a non-object input is invalid", arguments: [
        ("end_turn", LLMStopReason.endTurn), ("tool_use", .toolUse), ("max_tokens", .maxTokens), ("stop_sequence", .stopSequence),
        ("pause_turn", .pauseTurn), ("refusal", .refusal), ("model_context_window_exceeded", .other("model_context_window_exceeded")),
    ])
    func anthropicDecoding(stop: String, expected: LLMStopReason) throws {
        let reply: JSONValue = [
            "model": "m", "stop_reason": .string(stop),
            "content": [["type": "thinking", "thinking": "…"], ["type": "tool_use", "id": "u1", "name": "t", "input": "oops"]],
            "usage": ["input_tokens": 7, "output_tokens": 3, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 20],
        ]
        let response = try AnthropicProvider.decode(reply)
        #expect(response.stopReason == expected)
        #expect(response.usage == LLMUsage(inputTokens: 7, outputTokens: 3, cacheReadInputTokens: 100, cacheCreationInputTokens: 20))
        #expect(response.usage.totalInputTokens == 127)
        #expect(response.message.toolCalls.first?.arguments == .invalid(raw: "\"oops\""))
    }

    @Test("HTTP status codes map to retryable or final errors", arguments: [
        (400, LLMProviderError.Code.invalidRequest, false), (401, .authentication, false), (403, .permission, false), (404, .notFound, false),
        (413, .requestTooLarge, false), (429, .rateLimited, true), (500, .serverError, true), (504, .serverError, true), (529, .overloaded, true),
        (503, .overloaded, true), (418, .unexpectedStatus, false),
    ])
    func statusCodes(status: Int, code: LLMProviderError.Code, retryable: Bool) {
        let error = LLMProviderError(LLMProviderError.code(forStatus: status), provider: "anthropic", status: status)
        #expect(error.code == code)
        #expect(error.isRetryable == retryable)
    }

    @Test("the API key is read from the environment or a file and never shown")
    func apiKeySources() throws {
        let secret = "sk-ant-api03-SECRETSECRETSECRET"
        let fromEnv = try LLMAPIKey.Source.environment("K").resolve(provider: "anthropic", environment: ["K": secret + "\n"])
        #expect(fromEnv.secret == secret)
        #expect(!"\(fromEnv)".contains(secret))
        #expect(!String(reflecting: fromEnv).contains(secret))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-key-\(UUID().uuidString)").path
        try (secret + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try LLMAPIKey.Source.file(path).resolve(provider: "anthropic").secret == secret)
        let missing = #expect(throws: LLMProviderError.self) { try LLMAPIKey.Source.environment("NOPE").resolve(provider: "anthropic", environment: [:]) }
        #expect(missing?.code == .configuration)
        let configuration = LLMProviderConfiguration(kind: .anthropic, apiKey: .value(secret))
        #expect(!"\(configuration)".contains(secret))
        #expect(configuration.model == "claude-haiku-4-5-20251001")
        #expect(configuration.endpoint == "https://api.anthropic.com/v1/messages")
    }

    @Test("a wrong key is a final 401: one attempt, unavailable, the key in no error text", arguments: LLMProviderConfiguration.Kind.allCases)
    func wrongKey(kind: LLMProviderConfiguration.Kind) async throws {
        var configuration = SimulatorConfiguration.testing
        configuration.apiKey = "the-right-key"
        try await LLMSimulator.withRunning(configuration) { sim in
            let provider = try providerConfiguration(kind, sim, key: "wrong-key-123").makeProvider()
            let client = LLMClient(provider: provider)
            let outcome = await client.complete(
                LLMRequest(system: "s", messages: [.user("hi")], tools: [], maxTokens: 50),
                timeout: .seconds(5),
                deadline: .now.advanced(by: .seconds(10))
            )
            #expect(outcome.attempts.count == 1)
            guard case .failure(let error) = outcome.result else {
                Issue.record("expected a failure")
                return
            }
            #expect(error.code == .authentication)
            #expect(error.status == 401)
            #expect(!"\(error)".contains("wrong-key-123"))
            #expect(!String(reflecting: error).contains("wrong-key-123"))
        }
    }

    @Test("a 429 pauses for retry-after and the call succeeds after; 529 and 500 back off and retry", arguments: [
        (LLMProviderConfiguration.Kind.anthropic, 429), (.anthropic, 529), (.anthropic, 500), (.openAI, 429), (.openAI, 503),
    ])
    func retries(kind: LLMProviderConfiguration.Kind, status: Int) async throws {
        try await LLMSimulator.withRunning { sim in
            sim.simulator.injectFailures(status == 429 ? .rateLimited(retryAfterSeconds: 1) : status == 500 ? .serverError : .overloaded, count: 2)
            let agent = try makeAgent(kind, sim)
            let started = ContinuousClock.now
            let outcome = await agent.investigate(alert: sampleAlert())
            let elapsed = started.duration(to: .now)
            #expect(outcome.result.verdict != nil, "\(outcome.result)")
            let first = try #require(outcome.audit.calls.first)
            #expect(first.attempts.map(\.status) == [status, status, 200])
            if status == 429 { #expect(elapsed >= .seconds(2)) }  // two retry-after: 1 waits
        }
    }

    @Test("the circuit breaker opens on repeated overloads and sends alerts to the rule path at once")
    func circuitBreaker() async throws {
        try await LLMSimulator.withRunning { sim in
            sim.simulator.injectFailures(.overloaded, count: 100)
            let breaker = CircuitBreaker<ContinuousClock.Instant>.Configuration(failureThreshold: 3, openDuration: .seconds(60))
            let agent = try makeAgent(
                .anthropic, sim,
                client: LLMClient.Configuration(maxAttempts: 2, initialBackoff: .milliseconds(5), circuitBreaker: breaker)
            )
            let first = await agent.triage(alert: sampleAlert("a-1"))
            #expect(first.status == "unavailable")
            let second = await agent.triage(alert: sampleAlert("a-2"))
            #expect(second.status == "unavailable")
            #expect(agent.client.circuitOpen)
            let before = sim.simulator.stats().totalRequests
            let third = await agent.triage(alert: sampleAlert("a-3"))
            #expect(third == .unavailable(reason: "circuit open"))
            #expect(sim.simulator.stats().totalRequests == before)
            #expect(before == 3)
        }
    }
}

@Suite("Provider configuration and outages")
struct ProviderConfigurationTests {
    @Test("the provider comes from VIGIL_LLM_* or flags; none configured means the AI path is off")
    func fromEnvironment() throws {
        #expect(try LLMProviderConfiguration.fromEnvironment([:]) == nil)
        let anthropic = try #require(try LLMProviderConfiguration.fromEnvironment(["VIGIL_LLM_PROVIDER": "anthropic"]))
        #expect(anthropic.model == "claude-haiku-4-5-20251001")
        #expect(anthropic.apiKey == .environment("ANTHROPIC_API_KEY"))
        let local = try #require(
            try LLMProviderConfiguration.fromEnvironment(
                ["VIGIL_LLM_PROVIDER": "anthropic", "VIGIL_LLM_MODEL": "m1"], provider: "openai", baseURL: "http://127.0.0.1:8000"
            )
        )
        #expect(local.kind == .openAI)
        #expect(local.model == "m1")
        #expect(local.endpoint == "http://127.0.0.1:8000/v1/chat/completions")
        #expect(local.apiKey == .environment("OPENAI_API_KEY"))
        #expect(throws: LLMProviderError.self) { try LLMProviderConfiguration.fromEnvironment(["VIGIL_LLM_PROVIDER": "gemini"]) }
        #expect(throws: LLMProviderError.self) { try LLMProviderConfiguration.fromEnvironment(["VIGIL_LLM_PROVIDER": "openai"]) }
    }

    @Test("with the provider down every alert still gets an AI result: unavailable, never a verdict")
    func outage() async throws {
        // A port that was just free: nothing listens there.
        var baseURL = ""
        try await LLMSimulator.withRunning { sim in baseURL = sim.baseURL }
        let provider = try LLMProviderConfiguration(kind: .anthropic, baseURL: baseURL, apiKey: .value("k")).makeProvider()
        let client = LLMClient(provider: provider, configuration: .init(maxAttempts: 2, initialBackoff: .milliseconds(10)))
        let agent = TriageAgent(client: client, tools: FakeInvestigationTools(), configuration: .init(callTimeout: .seconds(2), deadline: .seconds(10)))
        let outcome = await agent.investigate(alert: sampleAlert())
        #expect(outcome.result.status == "unavailable", "\(outcome.result)")
        #expect(outcome.audit.calls.first?.attempts.count == 2)
        #expect(outcome.audit.calls.first?.error == LLMProviderError.Code.transport.description)
    }

}

/// Timing-sensitive: `scripts/test.sh` runs suites named `…TimingTests` alone, after the rest, so CPU-bound tests
/// elsewhere cannot delay the timers being measured.
@Suite("Provider timeouts (timing)", .serialized)
struct ProviderTimeoutTimingTests {
    @Test("a slow answer hits the per-call timeout; a slow conversation hits the deadline")
    func timeouts() async throws {
        try await LLMSimulator.withRunning { sim in
            let slowCall = try makeAgent(.anthropic, sim, client: .init(maxAttempts: 1)) {
                $0.extraHeaders = [("x-sim-latency-ms", "1500")]
                $0.callTimeout = .milliseconds(300)
            }
            let first = await slowCall.investigate(alert: sampleAlert())
            #expect(first.result == .timedOut(reason: LLMProviderError.Code.timeout.description), "\(first.result)")
            #expect(first.audit.calls.first?.attempts.first?.latencyMilliseconds ?? 0 < 1400)
            let slowTurns = try makeAgent(.anthropic, sim, behaviour: "tool-loop") {
                $0.extraHeaders.append(("x-sim-latency-ms", "200"))
                $0.deadline = .milliseconds(700)
                $0.maxTurns = 50
            }
            let second = await slowTurns.investigate(alert: sampleAlert())
            #expect(second.result.status == "timed_out", "\(second.result)")
            #expect(second.audit.turns < 6)
            #expect(second.audit.latencyMilliseconds < 1500)
        }
    }
}

@Suite("Rate-limit headers")
struct RateLimitHeaderTests {
    @Test("each provider surfaces its rate-limit headers on the response", arguments: LLMProviderConfiguration.Kind.allCases)
    func headersSurfaced(kind: LLMProviderConfiguration.Kind) async throws {
        var configuration = SimulatorConfiguration.testing
        configuration.requestsPerMinute = 100
        configuration.inputTokensPerMinute = 50_000
        configuration.outputTokensPerMinute = 10_000
        try await LLMSimulator.withRunning(configuration) { sim in
            let client = LLMClient(provider: try providerConfiguration(kind, sim).makeProvider())
            let outcome = await client.complete(
                LLMRequest(system: "s", messages: [.user("hi")], tools: [], maxTokens: 50),
                timeout: .seconds(5),
                deadline: .now.advanced(by: .seconds(10))
            )
            let response = try outcome.result.get()
            #expect(response.rateLimit.requests?.limit == 100)
            #expect(response.rateLimit.requests?.remaining == 99)
            if kind == .anthropic {
                #expect(response.rateLimit.inputTokens?.limit == 50_000)
                #expect(response.rateLimit.outputTokens?.limit == 10_000)
                #expect(response.requestID?.hasPrefix("req_") == true)
            } else {
                #expect(response.rateLimit.tokens?.limit == 10_000)
            }
        }
    }
}
