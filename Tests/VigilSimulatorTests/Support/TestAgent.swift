import Testing
import VigilCore

@testable import VigilSimulator

/// A tool's answer in a test: the result text and whether the tool failed.
struct ToolAnswer: Sendable {
    var text: String
    var isError = false
}

/// What a whole agent loop against the simulator saw.
struct AgentRun: Sendable {
    var turns: [ParsedTurn] = []
    var toolCalls: [ParsedTurn.Call] = []
    var resultTexts: [String] = []
    var verdict: ParsedTurn.Call?
    var lastReply: HTTPReply?

    /// Every evidence id the verdict cites.
    var citedEvidence: [String] { verdict?.arguments?["evidence"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    var decision: String? { verdict?.arguments?["decision"]?.stringValue }
}

/// Drives the conversation the way a provider would: answers every tool call with a result (Anthropic
/// `tool_result` blocks, OpenAI `tool` messages), continues after `pause_turn`, and stops at `submit_verdict`, at
/// a turn without tool calls, or after `maxTurns`.
func runAgent(
    _ api: SimulatedAPI,
    client: SimulatorTestClient,
    alert: String,
    tools: [String] = agentTools,
    maxTurns: Int = 8,
    headers: [(String, String)] = [],
    answer: (ParsedTurn.Call) -> ToolAnswer
) async throws -> AgentRun {
    var request = firstRequest(api, alert: alert, tools: tools)
    var run = AgentRun()
    for _ in 0..<maxTurns {
        let reply = try await client.post(api.path, request, headers: headers)
        run.lastReply = reply
        try #require(reply.status == 200, "status \(reply.status): \(reply.json.jsonText)")
        let turn = try ParsedTurn(api, reply.json)
        run.turns.append(turn)
        if let verdict = turn.verdict {
            run.verdict = verdict
            return run
        }
        guard case .object(var object) = request, var messages = object["messages"]?.arrayValue else { return run }
        if turn.stop == "pause_turn" {
            messages.append(["role": "assistant", "content": reply.json["content"] ?? []])
        } else if turn.calls.isEmpty {
            return run
        } else {
            run.toolCalls += turn.calls
            let answers = turn.calls.map(answer)
            run.resultTexts += answers.filter { !$0.isError }.map(\.text)
            switch api {
            case .anthropic:
                messages.append(["role": "assistant", "content": reply.json["content"] ?? []])
                messages.append([
                    "role": "user",
                    "content": .array(
                        zip(turn.calls, answers).map { call, answer in
                            [
                                "type": "tool_result", "tool_use_id": .string(call.id), "content": .string(answer.text),
                                "is_error": .bool(answer.isError),
                            ]
                        }
                    ),
                ])
            case .openAI:
                let message = try #require(reply.json["choices"]?.arrayValue?.first?["message"])
                messages.append(message)
                for (call, answer) in zip(turn.calls, answers) {
                    messages.append(["role": "tool", "tool_call_id": .string(call.id), "content": .string(answer.text)])
                }
            }
        }
        object["messages"] = .array(messages)
        request = .object(object)
    }
    return run
}

/// Tool results that show a threat: a persistence call and a malicious address.
func threateningAnswer(_ call: ParsedTurn.Call) -> ToolAnswer {
    switch call.name {
    case "get_cloudtrail_events":
        ToolAnswer(
            text:
                #"{"events":[{"evidence_id":"ct-001","eventName":"ListBuckets"},"#
                + #"{"evidence_id":"ct-002","eventName":"CreateAccessKey","eventSource":"iam.amazonaws.com"}]}"#
        )
    case "get_iam_principal_history":
        ToolAnswer(text: #"{"evidence_id":"iam-001","last_activity":"2026-11-26T10:00:00Z","privileged":false}"#)
    case "lookup_ip_reputation":
        ToolAnswer(text: #"{"evidence_id":"ip-001","ip":"203.0.113.7","reputation":"malicious","categories":["tor exit"]}"#)
    case "check_guardduty_findings":
        ToolAnswer(text: #"{"findings":[]}"#)
    default:
        ToolAnswer(text: #"{"evidence_id":"vpc-001","flows":[]}"#)
    }
}

/// Tool results that show routine, known activity.
func routineAnswer(_ call: ParsedTurn.Call) -> ToolAnswer {
    switch call.name {
    case "get_cloudtrail_events":
        ToolAnswer(text: #"{"events":[{"evidence_id":"ct-101","eventName":"DescribeInstances","assessment":"routine"}]}"#)
    case "get_iam_principal_history":
        ToolAnswer(text: #"{"evidence_id":"iam-101","summary":"known CI role with expected activity","privileged":false}"#)
    case "lookup_ip_reputation":
        ToolAnswer(text: #"{"evidence_id":"ip-101","reputation":"clean","malicious":false}"#)
    case "check_guardduty_findings":
        ToolAnswer(text: #"{"evidence_id":"gd-101","findings":[]}"#)
    default:
        ToolAnswer(text: #"{"evidence_id":"vpc-101","summary":"expected traffic"}"#)
    }
}

let sampleAlert = """
    {"source":"cloudtrail","principal":"arn:aws:iam::123456789012:user/alice","sourceIPAddress":"203.0.113.7",\
    "eventName":"CreateAccessKey","recipientAccountId":"123456789012"}
    """
