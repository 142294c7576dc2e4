import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import VigilCore

@testable import VigilSimulator

/// One HTTP answer from the simulator.
struct HTTPReply: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var json: JSONValue

    func header(_ name: String) -> String? { headers.first(name: name) }
    func intHeader(_ name: String) -> Int? { header(name).flatMap { Int($0) } }
}

/// A thin client over AsyncHTTPClient's shared client: JSON in, JSON out, over the live socket.
struct SimulatorTestClient: Sendable {
    var baseURL: String

    init(_ running: RunningSimulator) { baseURL = running.baseURL }

    func send(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, headers: [(String, String)] = []) async throws -> HTTPReply {
        try await send(method, path, text: body?.jsonText, headers: headers)
    }

    /// Sends `text` as the body as is (it need not be JSON).
    func send(_ method: HTTPMethod, _ path: String, text: String?, headers: [(String, String)] = []) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "content-type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let text { request.body = .bytes(ByteBuffer(string: text)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        let text = String(buffer: bytes)
        let json = text.isEmpty ? JSONValue.null : try JSONParser().parse(text)
        return HTTPReply(status: Int(response.status.code), headers: response.headers, json: json)
    }

    /// Posts JSON; requests to the Messages API carry `anthropic-version` as a real client's do.
    func post(_ path: String, _ body: JSONValue, headers: [(String, String)] = []) async throws -> HTTPReply {
        let version = path == SimulatedAPI.anthropic.path ? [("anthropic-version", "2023-06-01")] : []
        return try await send(.POST, path, body: body, headers: version + headers)
    }

    func get(_ path: String) async throws -> JSONValue { try await send(.GET, path).json }
}

/// The agent's tools as DESIGN.md names them.
let agentTools = [
    "get_cloudtrail_events", "get_iam_principal_history", "check_guardduty_findings", "get_vpc_flow_logs", "lookup_ip_reputation",
    "submit_verdict",
]

/// A minimal request for one API: a system prompt, one user message, the agent's tools.
func firstRequest(_ api: SimulatedAPI, alert: String, tools: [String] = agentTools, maxTokens: Int = 1024) -> JSONValue {
    switch api {
    case .anthropic:
        return [
            "model": "claude-haiku-4-5-20251001", "max_tokens": .int(Int64(maxTokens)), "system": "You triage security alerts.",
            "tools": .array(tools.map { ["name": .string($0), "description": "tool", "input_schema": ["type": "object"]] }),
            "messages": [["role": "user", "content": .string(alert)]],
        ]
    case .openAI:
        return [
            "model": "local-model", "max_tokens": .int(Int64(maxTokens)),
            "tools": .array(tools.map { ["type": "function", "function": ["name": .string($0), "parameters": ["type": "object"]]] }),
            "messages": [["role": "system", "content": "You triage security alerts."], ["role": "user", "content": .string(alert)]],
        ]
    }
}

/// The verdict-relevant parts of one reply, read the same way for both APIs.
struct ParsedTurn: Sendable {
    struct Call: Sendable {
        var id: String
        var name: String
        /// Parsed arguments; nil when they are not a JSON object (malformed).
        var arguments: JSONObject?
        var rawArguments: String
    }

    var calls: [Call]
    var text: String?
    /// `stop_reason` (Anthropic) or `finish_reason` (OpenAI).
    var stop: String
    var refusal: String?
    var outputTokens: Int64

    init(_ api: SimulatedAPI, _ json: JSONValue) throws {
        switch api {
        case .anthropic:
            let content = try #require(json["content"]?.arrayValue)
            calls = content.filter { $0["type"]?.stringValue == "tool_use" }.map { block in
                let input = block["input"] ?? .null
                return Call(
                    id: block["id"]?.stringValue ?? "",
                    name: block["name"]?.stringValue ?? "",
                    arguments: input.objectValue,
                    rawArguments: input.stringValue ?? input.jsonText
                )
            }
            text = content.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }.first
            stop = try #require(json["stop_reason"]?.stringValue)
            refusal = stop == "refusal" ? text : nil
            outputTokens = try #require(json.value(atPath: "usage.output_tokens")?.intValue)
        case .openAI:
            let choice = try #require(json["choices"]?.arrayValue?.first)
            let message = try #require(choice["message"])
            calls = (message["tool_calls"]?.arrayValue ?? []).map { call in
                let raw = call.value(atPath: "function.arguments")?.stringValue ?? ""
                return Call(
                    id: call["id"]?.stringValue ?? "",
                    name: call.value(atPath: "function.name")?.stringValue ?? "",
                    arguments: (try? JSONParser().parse(raw))?.objectValue,
                    rawArguments: raw
                )
            }
            text = message["content"]?.stringValue
            stop = try #require(choice["finish_reason"]?.stringValue)
            refusal = message["refusal"]?.stringValue
            outputTokens = try #require(json.value(atPath: "usage.completion_tokens")?.intValue)
        }
    }

    var verdict: Call? { calls.first { $0.name == "submit_verdict" } }
}
