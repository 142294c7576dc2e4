import Logging
import NIOHTTP1
import Synchronization
import Testing
import VigilCore

@testable import VigilSimulator

@Suite("Wire shapes, validation, keys and the request log")
struct ProtocolTests {
    @Test("Anthropic replies carry the Messages API shape")
    func anthropicShape() async throws {
        try await LLMSimulator.withRunning { sim in
            let reply = try await SimulatorTestClient(sim).post("/v1/messages", firstRequest(.anthropic, alert: sampleAlert))
            #expect(reply.status == 200)
            let json = reply.json
            #expect(json["type"]?.stringValue == "message")
            #expect(json["role"]?.stringValue == "assistant")
            #expect(json["id"]?.stringValue?.hasPrefix("msg_") == true)
            #expect(json["model"]?.stringValue == "claude-haiku-4-5-20251001")
            #expect(json["stop_reason"]?.stringValue == "tool_use")
            let blocks = try #require(json["content"]?.arrayValue)
            #expect(!blocks.isEmpty)
            for block in blocks {
                #expect(block["type"]?.stringValue == "tool_use")
                #expect(block["id"]?.stringValue?.hasPrefix("toolu_") == true)
                #expect(block["input"]?.objectValue != nil)
            }
            for key in ["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"] {
                #expect(json.value(atPath: "usage.\(key)")?.intValue != nil, "usage.\(key)")
            }
            #expect(reply.header("request-id")?.hasPrefix("req_") == true)
        }
    }

    @Test("OpenAI replies carry the chat completion shape with arguments as a JSON string")
    func openAIShape() async throws {
        try await LLMSimulator.withRunning { sim in
            let reply = try await SimulatorTestClient(sim).post("/v1/chat/completions", firstRequest(.openAI, alert: sampleAlert))
            #expect(reply.status == 200)
            let json = reply.json
            #expect(json["object"]?.stringValue == "chat.completion")
            #expect(json["id"]?.stringValue?.hasPrefix("chatcmpl-") == true)
            let choice = try #require(json["choices"]?.arrayValue?.first)
            #expect(choice["finish_reason"]?.stringValue == "tool_calls")
            let calls = try #require(choice.value(atPath: "message.tool_calls")?.arrayValue)
            for call in calls {
                #expect(call["type"]?.stringValue == "function")
                #expect(call["id"]?.stringValue?.hasPrefix("call_") == true)
                let arguments = try #require(call.value(atPath: "function.arguments")?.stringValue)
                #expect(try JSONParser().parse(arguments).objectValue != nil)
            }
            let prompt = try #require(json.value(atPath: "usage.prompt_tokens")?.intValue)
            let completion = try #require(json.value(atPath: "usage.completion_tokens")?.intValue)
            #expect(json.value(atPath: "usage.total_tokens")?.intValue == prompt + completion)
        }
    }

    @Test("input tokens are the request body's bytes / 4, rounded up", arguments: SimulatedAPI.allCases)
    func inputTokenApproximation(api: SimulatedAPI) async throws {
        try await LLMSimulator.withRunning { sim in
            let body = firstRequest(api, alert: sampleAlert)
            let reply = try await SimulatorTestClient(sim).post(api.path, body)
            let expected = Int64((body.jsonText.utf8.count + 3) / 4)
            let key = api == .anthropic ? "usage.input_tokens" : "usage.prompt_tokens"
            #expect(reply.json.value(atPath: key)?.intValue == expected)
            #expect(sim.simulator.stats().inputTokens == Int(expected))
        }
    }

    static let invalidBodies: [(SimulatedAPI, JSONValue, String)] = [
        (.anthropic, ["model": "m", "messages": [["role": "user", "content": "hi"]]], "max_tokens"),
        (.anthropic, ["max_tokens": 10, "messages": [["role": "user", "content": "hi"]]], "model"),
        (.anthropic, ["model": "m", "max_tokens": 10, "messages": []], "messages"),
        (.anthropic, ["model": "m", "max_tokens": 10, "messages": [["role": "robot", "content": "hi"]]], "messages.0.role"),
        (
            .anthropic, ["model": "m", "max_tokens": 10, "tools": [["name": "t"]], "messages": [["role": "user", "content": "hi"]]],
            "tools.0.input_schema"
        ),
        (
            .anthropic,
            [
                "model": "m", "max_tokens": 10,
                "messages": [
                    ["role": "user", "content": "hi"],
                    ["role": "assistant", "content": [["type": "tool_use", "id": "toolu_1", "name": "t", "input": [:]]]],
                    ["role": "user", "content": "no result here"],
                ],
            ], "toolu_1"
        ),
        (.openAI, ["messages": [["role": "user", "content": "hi"]]], "model"),
        (.openAI, ["model": "m", "tools": [["type": "function"]], "messages": [["role": "user", "content": "hi"]]], "tools.0.function"),
        (
            .openAI,
            [
                "model": "m",
                "messages": [
                    ["role": "user", "content": "hi"],
                    [
                        "role": "assistant", "content": nil,
                        "tool_calls": [["id": "call_1", "type": "function", "function": ["name": "t", "arguments": "{}"]]],
                    ],
                    ["role": "user", "content": "skipped the tool"],
                ],
            ], "call_1"
        ),
        (
            .openAI, ["model": "m", "messages": [["role": "user", "content": "hi"], ["role": "tool", "tool_call_id": "call_9", "content": "x"]]],
            "call_9"
        ),
    ]

    @Test("invalid requests get 400 in the API's error shape, naming the field", arguments: invalidBodies)
    func invalidRequests(api: SimulatedAPI, body: JSONValue, field: String) async throws {
        try await LLMSimulator.withRunning { sim in
            let reply = try await SimulatorTestClient(sim).post(api.path, body)
            #expect(reply.status == 400)
            switch api {
            case .anthropic:
                #expect(reply.json["type"]?.stringValue == "error")
                #expect(reply.json.value(atPath: "error.type")?.stringValue == "invalid_request_error")
            case .openAI:
                #expect(reply.json.value(atPath: "error.type")?.stringValue == "invalid_request_error")
            }
            #expect(reply.json.value(atPath: "error.message")?.stringValue?.contains(field) == true)
            #expect(sim.simulator.stats().count(endpoint: api.path, status: 400) == 1)
        }
    }

    @Test("a body that is not JSON is a 400 whose message holds no body content")
    func notJSON() async throws {
        try await LLMSimulator.withRunning { sim in
            var request = firstRequest(.anthropic, alert: "SECRET-CONTENT").jsonText
            request.removeLast()
            let reply = try await SimulatorTestClient(sim).send(.POST, "/v1/messages", text: request, headers: [("anthropic-version", "2023-06-01")])
            #expect(reply.status == 400)
            #expect(reply.json.jsonText.contains("SECRET-CONTENT") == false)
        }
    }

    @Test("the Messages API requires anthropic-version")
    func anthropicVersion() async throws {
        try await LLMSimulator.withRunning { sim in
            let reply = try await SimulatorTestClient(sim).send(.POST, "/v1/messages", body: firstRequest(.anthropic, alert: sampleAlert))
            #expect(reply.status == 400)
            #expect(reply.json.value(atPath: "error.message")?.stringValue?.contains("anthropic-version") == true)
        }
    }

    @Test("streaming requests are refused rather than answered unstreamed", arguments: SimulatedAPI.allCases)
    func noStreaming(api: SimulatedAPI) async throws {
        try await LLMSimulator.withRunning { sim in
            guard case .object(var body) = firstRequest(api, alert: sampleAlert) else { return }
            body["stream"] = true
            let reply = try await SimulatorTestClient(sim).post(api.path, .object(body))
            #expect(reply.status == 400)
            #expect(reply.json.value(atPath: "error.message")?.stringValue?.contains("stream") == true)
        }
    }

    @Test("prompt caching: a cache_control prefix is written once, then read; ITPM counts only uncached input and writes")
    func promptCaching() async throws {
        try await LLMSimulator.withRunning(.init(inputTokensPerMinute: 1_000_000, latencyMedianMilliseconds: 0)) { sim in
            guard case .object(var body) = firstRequest(.anthropic, alert: sampleAlert) else { return }
            body["system"] = [["type": "text", "text": "You triage security alerts.", "cache_control": ["type": "ephemeral"]]]
            let client = SimulatorTestClient(sim)
            let first = try await client.post("/v1/messages", .object(body))
            let second = try await client.post("/v1/messages", .object(body))
            let total = Int64((JSONValue.object(body).jsonText.utf8.count + 3) / 4)
            func usage(_ reply: HTTPReply, _ key: String) -> Int64 { reply.json.value(atPath: "usage.\(key)")?.intValue ?? -1 }
            let written = usage(first, "cache_creation_input_tokens")
            #expect(written > 0)
            #expect(usage(first, "cache_read_input_tokens") == 0)
            #expect(usage(first, "input_tokens") + written == total)
            #expect(usage(second, "cache_creation_input_tokens") == 0)
            #expect(usage(second, "cache_read_input_tokens") == written)
            #expect(usage(second, "input_tokens") + written == total)
            let stats = sim.simulator.stats()
            #expect(stats.cacheCreationInputTokens == Int(written))
            #expect(stats.cacheReadInputTokens == Int(written))
            #expect(stats.inputTokens == Int(2 * (total - written)))
            let plain = try await client.post("/v1/messages", firstRequest(.anthropic, alert: sampleAlert))
            #expect(usage(plain, "cache_creation_input_tokens") == 0 && usage(plain, "cache_read_input_tokens") == 0)
        }
    }

    @Test("a body over the size limit gets 413")
    func tooLarge() async throws {
        var configuration = SimulatorConfiguration.testing
        configuration.maxRequestBytes = 1000
        try await LLMSimulator.withRunning(configuration) { sim in
            let reply = try await SimulatorTestClient(sim).post("/v1/messages", firstRequest(.anthropic, alert: String(repeating: "x", count: 2000)))
            #expect(reply.status == 413)
            #expect(reply.json.value(atPath: "error.type")?.stringValue == "request_too_large")
        }
    }

    @Test("a required API key is checked in x-api-key or a bearer token, and never logged or recorded")
    func apiKey() async throws {
        let key = "sk-ant-api03-SIMULATED-SECRET-KEY-000"
        let capture = LogCapture()
        var logger = Logger(label: "test") { _ in capture }
        logger.logLevel = .trace
        var configuration = SimulatorConfiguration.testing
        configuration.apiKey = key
        try await LLMSimulator.withRunning(configuration, logger: logger) { sim in
            let client = SimulatorTestClient(sim)
            let missing = try await client.post("/v1/messages", firstRequest(.anthropic, alert: sampleAlert))
            #expect(missing.status == 401)
            #expect(missing.json.value(atPath: "error.type")?.stringValue == "authentication_error")
            let wrong = try await client.post(
                "/v1/chat/completions",
                firstRequest(.openAI, alert: sampleAlert),
                headers: [("authorization", "Bearer nope")]
            )
            #expect(wrong.status == 401)
            #expect(wrong.json.value(atPath: "error.code")?.stringValue == "invalid_api_key")
            let anthropic = try await client.post("/v1/messages", firstRequest(.anthropic, alert: sampleAlert), headers: [("x-api-key", key)])
            #expect(anthropic.status == 200)
            let openAI = try await client.post(
                "/v1/chat/completions",
                firstRequest(.openAI, alert: sampleAlert),
                headers: [("authorization", "Bearer \(key)")]
            )
            #expect(openAI.status == 200)
            let log = try await client.get("/requests")
            #expect(log.arrayValue?.count == 4)
            #expect(!log.jsonText.contains(key))
            #expect(log.jsonText.contains("CreateAccessKey"), "the log keeps request bodies")
            #expect(!(try await client.get("/stats")).jsonText.contains(key))
        }
        #expect(!capture.text.isEmpty)
        #expect(!capture.text.contains(key))
        #expect(!"\(configuration)".contains(key))
    }

    @Test("the request log keeps at most its capacity, newest last")
    func requestLogBound() async throws {
        var configuration = SimulatorConfiguration.testing
        configuration.requestLogCapacity = 3
        try await LLMSimulator.withRunning(configuration) { sim in
            let client = SimulatorTestClient(sim)
            for i in 0..<5 { _ = try await client.post("/v1/messages", firstRequest(.anthropic, alert: "alert \(i)")) }
            let log = sim.simulator.requestLog()
            #expect(log.map(\.sequence) == [3, 4, 5])
            #expect(log.last?.body.contains("alert 4") == true)
        }
    }

    @Test(
        "listen addresses",
        arguments: [("127.0.0.1:8088", "127.0.0.1", 8088), ("[::1]:0", "::1", 0), ("localhost:65535", "localhost", 65535)]
    )
    func listenAddress(text: String, host: String, port: Int) throws {
        let parsed = try SimulatorConfiguration.parseListenAddress(text)
        #expect(parsed.host == host && parsed.port == port)
    }

    @Test("bad listen addresses are refused", arguments: ["8088", ":8088", "host:", "host:70000", "host:x"])
    func badListenAddress(text: String) {
        #expect(throws: SimulatorError.self) { try SimulatorConfiguration.parseListenAddress(text) }
    }

    @Test("configuration validation names the key at fault")
    func validation() throws {
        let bad: [(SimulatorConfiguration, String)] = [
            (.init(port: 70_000), "port"), (.init(requestsPerMinute: 0), "rpm"), (.init(latencyMedianMilliseconds: -1), "latency"),
            (.init(overloadErrorRate: 1.5), "529"), (.init(overloadErrorRate: 0.6, serverErrorRate: 0.6), "add up"),
            (.init(apiKey: ""), "api key"), (.init(requestLogCapacity: -1), "request log"),
        ]
        for (configuration, word) in bad {
            let error = #expect(throws: SimulatorError.self) { try configuration.validate() }
            #expect(error?.code == .invalidConfiguration)
            #expect(error?.message.contains(word) == true, "\(error?.message ?? "")")
        }
        try SimulatorConfiguration().validate()
        #expect(throws: SimulatorError.self) { try SimulatorBehaviour(name: "malformed/unknown") }
        #expect(try SimulatorBehaviour(name: "malformed/schema") == .malformed(.schema))
        for name in SimulatorBehaviour.names { #expect(try SimulatorBehaviour(name: name).name == name) }
    }
}

/// A log handler that keeps every rendered line, to check what reached the logs.
final class LogCapture: LogHandler, @unchecked Sendable {
    private let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.withLock { $0.append("\(event.level) \(event.message) \(merged)") }
    }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}
