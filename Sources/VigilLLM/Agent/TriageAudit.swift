import VigilCore

/// Everything the AI path did for one alert, recorded on its verdict: the model, every call (with its attempts,
/// stop reason, usage and latency), every tool call with its arguments, totals and cost.
///
/// Tool-call arguments are the model's, which only ever saw sanitised data; they may still quote alert content, so
/// the audit is stored with the verdict and ``description`` shows counts only.
public struct TriageAudit: Sendable, Hashable, Codable, CustomStringConvertible {
    /// One model call.
    public struct Call: Sendable, Hashable, Codable {
        public var turn: Int
        /// `end_turn`, `tool_use`, `pause_turn`, …; nil when the call failed.
        public var stopReason: String?
        /// The error code when it failed.
        public var error: String?
        public var usage: LLMUsage
        public var costUSD: Double
        /// From the first attempt's start to the answer, rate-limit waits and retries included.
        public var latencyMilliseconds: Double
        public var attempts: [LLMClient.Attempt]
        public var requestID: String?
        /// Encoding the request body (``LLMClient/Outcome/encodeMilliseconds``).
        public var encodeMilliseconds: Double = 0
        /// When the call started, in milliseconds after the AI path started.
        public var offsetMilliseconds: Double = 0

        /// Time on the wire over all attempts: the part of ``latencyMilliseconds`` spent inside the provider.
        public var wireMilliseconds: Double { attempts.reduce(0) { $0 + $1.wireMilliseconds } }
        /// Waiting for the cluster's rate limiter and this worker's concurrency cap, over all attempts.
        public var admissionWaitMilliseconds: Double {
            attempts.reduce(0) { $0 + $1.rateLimitWaitMilliseconds + $1.concurrencyWaitMilliseconds }
        }
        /// Encoding the request and decoding the answers, in the worker.
        public var codecMilliseconds: Double { encodeMilliseconds + attempts.reduce(0) { $0 + $1.decodeMilliseconds } }
        /// Settling permits with the rate limiter after each answer.
        public var settleMilliseconds: Double { attempts.reduce(0) { $0 + $1.settleMilliseconds } }
        /// The rest of ``latencyMilliseconds``: backoff sleeps between retries (and scheduling between the phases).
        public var otherMilliseconds: Double {
            max(0, latencyMilliseconds - wireMilliseconds - admissionWaitMilliseconds - codecMilliseconds - settleMilliseconds)
        }
    }

    /// One tool call.
    public struct ToolCall: Sendable, Hashable, Codable {
        /// The turn whose answer asked for it; 0 for a pre-fetched call.
        public var turn: Int
        public var name: String
        /// The arguments as JSON text (invalid ones as written).
        public var arguments: String
        public var isError: Bool
        /// Why Vigil refused the call (unknown tool, invalid arguments), if it did.
        public var refusal: String?
        public var evidenceIDs: [String]
        public var latencyMilliseconds: Double
        /// When the call started, in milliseconds after the AI path started.
        public var offsetMilliseconds: Double = 0
    }

    public var provider: String
    public var model: String
    public var calls: [Call] = []
    public var toolCalls: [ToolCall] = []
    /// The AI result's status (`verdict`, `invalid`, …) and reason.
    public var status: String = ""
    public var reason: String?
    /// The whole AI path for this alert, pre-fetch included.
    public var latencyMilliseconds: Double = 0

    public init(provider: String, model: String) {
        self.provider = provider
        self.model = model
    }

    /// Model calls made.
    public var turns: Int { calls.count }
    public var usage: LLMUsage { calls.reduce(LLMUsage()) { $0 + $1.usage } }
    public var costUSD: Double { calls.reduce(0) { $0 + $1.costUSD } }
    public var stopReasons: [String] { calls.compactMap(\.stopReason) }

    /// Time inside the provider: the wire time of every attempt of every call.
    public var wireMilliseconds: Double { calls.reduce(0) { $0 + $1.wireMilliseconds } }

    /// Time inside the investigation tools: the tools of one turn (the pre-fetch is turn 0) run concurrently, so each
    /// turn counts the span from its first tool's start to its last tool's end.
    public var toolMilliseconds: Double {
        var spans: [Int: (start: Double, end: Double)] = [:]
        for call in toolCalls where call.refusal == nil {
            let span = spans[call.turn] ?? (call.offsetMilliseconds, call.offsetMilliseconds)
            spans[call.turn] = (min(span.start, call.offsetMilliseconds), max(span.end, call.offsetMilliseconds + call.latencyMilliseconds))
        }
        return spans.values.reduce(0) { $0 + ($1.end - $1.start) }
    }

    /// The AI path's own work outside model calls and tools: sanitising and spotlighting the alert and the tool
    /// results, building the conversation, validating the verdict, and scheduling between them.
    public var agentMilliseconds: Double {
        max(0, latencyMilliseconds - calls.reduce(0) { $0 + $1.latencyMilliseconds } - toolMilliseconds)
    }

    public var description: String {
        "TriageAudit(\(provider)/\(model), \(status), turns: \(turns), tool calls: \(toolCalls.count), "
            + "tokens in/out: \(usage.totalInputTokens)/\(usage.outputTokens), cost: $\(costUSD), ms: \(Int(latencyMilliseconds)))"
    }
}

/// What the AI path hands to the verdict merge: the result, the evidence the tools produced, the hygiene report
/// (for `injection_suspected`) and the audit record.
public struct TriageOutcome: Sendable {
    public var result: AIResult
    /// Every piece of evidence the tools returned in this conversation (pre-fetch included), with sanitised summaries.
    public var evidence: [Evidence]
    public var hygiene: HygieneReport
    public var audit: TriageAudit
}

/// What the worker knows about an alert before the AI path starts.
public struct TriageContext: Sendable {
    /// The alert's hygiene session: the same session must clean the alert and every tool result, so a secret keeps one
    /// placeholder. Pass the worker's session if it already sanitised the alert for the guardrails; default a new one.
    public var hygiene: HygieneSession
    /// The alert as `hygiene` already sanitised it (``HygieneSession/sanitize(alert:)``), so that it is not walked a
    /// second time; nil: the agent sanitises it with `hygiene`.
    public var sanitizedAlert: JSONValue?
    /// Rule-path findings to tell the model, in Vigil's own words (rule titles, not data), e.g. `Sigma: New IAM user`.
    public var ruleFindings: [String]

    public init(hygiene: HygieneSession = HygieneSession(), sanitizedAlert: JSONValue? = nil, ruleFindings: [String] = []) {
        self.hygiene = hygiene
        self.sanitizedAlert = sanitizedAlert
        self.ruleFindings = ruleFindings
    }
}
