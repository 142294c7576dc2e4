import VigilCore

extension TriageAudit {
    /// The audit as stored on a verdict (`triage.ai.audit`): snake_case keys, totals first, then every model call and
    /// every tool call with its arguments. Holds model-chosen arguments (sanitised data at most), never prompts or keys.
    public var json: JSONValue {
        let total = usage
        return [
            "provider": .string(provider),
            "model": .string(model),
            "status": .string(status),
            "reason": reason.map(JSONValue.string) ?? .null,
            "turns": .int(Int64(turns)),
            "tool_call_count": .int(Int64(toolCalls.count)),
            "usage": total.json,
            "cost_usd": .double(costUSD),
            "latency_ms": .milliseconds(latencyMilliseconds),
            "stop_reasons": .array(stopReasons.map(JSONValue.string)),
            "timing": [
                "wire_ms": .milliseconds(wireMilliseconds),
                "admission_wait_ms": .milliseconds(calls.reduce(0) { $0 + $1.admissionWaitMilliseconds }),
                "rate_limit_wait_ms": .milliseconds(calls.reduce(0) { $0 + $1.attempts.reduce(0) { $0 + $1.rateLimitWaitMilliseconds } }),
                "codec_ms": .milliseconds(calls.reduce(0) { $0 + $1.codecMilliseconds }),
                "settle_ms": .milliseconds(calls.reduce(0) { $0 + $1.settleMilliseconds }),
                "call_other_ms": .milliseconds(calls.reduce(0) { $0 + $1.otherMilliseconds }),
                "tools_ms": .milliseconds(toolMilliseconds),
                "agent_ms": .milliseconds(agentMilliseconds),
            ],
            "calls": .array(calls.map(\.json)),
            "tool_calls": .array(toolCalls.map(\.json)),
        ]
    }
}

extension TriageAudit.Call {
    var json: JSONValue {
        [
            "turn": .int(Int64(turn)),
            "stop_reason": stopReason.map(JSONValue.string) ?? .null,
            "error": error.map(JSONValue.string) ?? .null,
            "usage": usage.json,
            "cost_usd": .double(costUSD),
            "latency_ms": .milliseconds(latencyMilliseconds),
            "offset_ms": .milliseconds(offsetMilliseconds),
            "wire_ms": .milliseconds(wireMilliseconds),
            "encode_ms": .milliseconds(encodeMilliseconds),
            "request_id": requestID.map(JSONValue.string) ?? .null,
            "attempts": .array(
                attempts.map { attempt in
                    [
                        "status": attempt.status.map { .int(Int64($0)) } ?? .null,
                        "error": attempt.error.map(JSONValue.string) ?? .null,
                        "latency_ms": .milliseconds(attempt.latencyMilliseconds),
                        "rate_limit_wait_ms": .milliseconds(attempt.rateLimitWaitMilliseconds),
                        "concurrency_wait_ms": .milliseconds(attempt.concurrencyWaitMilliseconds),
                        "wire_ms": .milliseconds(attempt.wireMilliseconds),
                        "decode_ms": .milliseconds(attempt.decodeMilliseconds),
                        "settle_ms": .milliseconds(attempt.settleMilliseconds),
                    ]
                }
            ),
        ]
    }
}

extension TriageAudit.ToolCall {
    var json: JSONValue {
        [
            "turn": .int(Int64(turn)),
            "name": .string(name),
            "arguments": .string(arguments),
            "is_error": .bool(isError),
            "refusal": refusal.map(JSONValue.string) ?? .null,
            "evidence_ids": .array(evidenceIDs.map(JSONValue.string)),
            "latency_ms": .milliseconds(latencyMilliseconds),
            "offset_ms": .milliseconds(offsetMilliseconds),
        ]
    }
}

extension LLMUsage {
    /// `input_tokens`, `output_tokens`, `cache_read_input_tokens`, `cache_creation_input_tokens`, as the providers name them.
    public var json: JSONValue {
        [
            "input_tokens": .int(Int64(inputTokens)),
            "output_tokens": .int(Int64(outputTokens)),
            "cache_read_input_tokens": .int(Int64(cacheReadInputTokens)),
            "cache_creation_input_tokens": .int(Int64(cacheCreationInputTokens)),
        ]
    }
}

extension JSONValue {
    /// A duration in milliseconds as the audit stores it: rounded to the microsecond (three decimals).
    static func milliseconds(_ value: Double) -> JSONValue { .double((value * 1000).rounded() / 1000) }
}
