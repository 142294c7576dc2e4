import Foundation
import Logging
import VigilCore

/// The worker's AI step: a bounded tool loop that ends only in a validated `submit_verdict`, or in an
/// ``AIResult`` that makes the rule path decide (DESIGN.md invariants 4–6).
///
/// For one alert it
/// 1. sanitises the alert through the alert's ``HygieneSession`` (invisible characters stripped, secrets redacted
///    with stable placeholders, fields bounded) and spotlights it;
/// 2. pre-fetches cheap context (``Configuration/prefetchTools``) so the first call already has structured summaries;
/// 3. calls the model with the read-only tools and `submit_verdict`, answering every tool call of a turn with one
///    result each (sanitised and spotlighted the same way), continuing after `pause_turn`, reminding once after a
///    prose answer;
/// 4. validates the verdict: it must parse, fit the schema, and cite only evidence ids that this conversation's tool
///    results contained (a CLOSE must cite at least one).
///
/// Bounds: ``Configuration/maxTurns`` model calls, ``Configuration/maxTokensPerCall`` output tokens each, a per-call
/// timeout and a total deadline. A refusal is ``AIResult/refused(reason:)``; `max_tokens`, a malformed or
/// unvalidated verdict, or a call to an unknown tool in place of a verdict is ``AIResult/invalid(reason:)``; running
/// out of turns or time is ``AIResult/timedOut(reason:)``; provider failures and an open circuit are
/// ``AIResult/unavailable(reason:)``. None of these can close an alert.
public struct TriageAgent: Sendable {
    /// Every key has a default; none is secret.
    public struct Configuration: Sendable {
        /// Most model calls per alert (default 8).
        public var maxTurns: Int
        /// `max_tokens` of each call (default 1024).
        public var maxTokensPerCall: Int
        /// Longest wait for one HTTP response (default 30 s).
        public var callTimeout: Duration
        /// Longest time for the whole AI path of one alert, rate-limit waits included (default 120 s).
        public var deadline: Duration
        /// Tools called before the first model call when the alert names what they take (default: the principal's IAM
        /// history and the source address's reputation, the cheap lookups).
        public var prefetchTools: [String]
        /// How untrusted data is marked (default datamarking).
        public var spotlighter: Spotlighter
        /// Extra request headers (tests choose simulator behaviours with `x-sim-behaviour`). Never secrets.
        public var extraHeaders: [(String, String)]

        public init(
            maxTurns: Int = 8,
            maxTokensPerCall: Int = 1024,
            callTimeout: Duration = .seconds(30),
            deadline: Duration = .seconds(120),
            prefetchTools: [String] = ["get_iam_principal_history", "lookup_ip_reputation"],
            spotlighter: Spotlighter = Spotlighter(),
            extraHeaders: [(String, String)] = []
        ) {
            self.maxTurns = maxTurns
            self.maxTokensPerCall = maxTokensPerCall
            self.callTimeout = callTimeout
            self.deadline = deadline
            self.prefetchTools = prefetchTools
            self.spotlighter = spotlighter
            self.extraHeaders = extraHeaders
        }
    }

    public let configuration: Configuration
    public let client: LLMClient
    public let tools: any InvestigationTools
    let logger: Logger

    public init(client: LLMClient, tools: any InvestigationTools, configuration: Configuration = Configuration(), logger: Logger = Logger(label: "vigil.triage")) {
        self.client = client
        self.tools = tools
        self.configuration = configuration
        self.logger = logger
    }

    /// The AI result for one alert. Never throws; see ``investigate(alert:context:)`` for the evidence and audit.
    public func triage(alert: Alert, context: TriageContext = TriageContext()) async -> AIResult {
        await investigate(alert: alert, context: context).result
    }

    /// Runs the AI path for one alert and returns its result with the evidence, hygiene report and audit record.
    public func investigate(alert: Alert, context: TriageContext = TriageContext()) async -> TriageOutcome {
        var run = Run(agent: self, alert: alert, context: context)
        let result = await run.execute()
        run.audit.status = result.status
        run.audit.reason = result.reason
        run.audit.latencyMilliseconds = LLMClient.milliseconds(run.started.duration(to: ContinuousClock.now))
        logger.info(
            "triage ai path",
            metadata: [
                "alert": "\(alert.source)/\(alert.externalID)", "status": "\(result.status)", "turns": "\(run.audit.turns)",
                "tool_calls": "\(run.audit.toolCalls.count)", "cost_usd": "\(run.audit.costUSD)",
            ]
        )
        return TriageOutcome(result: result, evidence: run.evidence, hygiene: run.session.report, audit: run.audit)
    }

    /// The state of one alert's conversation.
    struct Run {
        let agent: TriageAgent
        let alert: Alert
        let context: TriageContext
        var session: HygieneSession
        var audit: TriageAudit
        var messages: [LLMMessage] = []
        var evidence: [Evidence] = []
        var knownEvidence: Set<String> = []
        let started = ContinuousClock.now
        let deadline: ContinuousClock.Instant
        var resultCount = 0
        /// The previous turn's request as sent: the next turn encodes only its new messages.
        var prepared: PreparedLLMRequest?

        init(agent: TriageAgent, alert: Alert, context: TriageContext) {
            self.agent = agent
            self.alert = alert
            self.context = context
            self.session = context.hygiene
            let provider = agent.client.provider.configuration
            self.audit = TriageAudit(provider: provider.kind.rawValue, model: provider.model)
            self.deadline = started.advanced(by: agent.configuration.deadline)
        }

        var configuration: Configuration { agent.configuration }

        mutating func execute() async -> AIResult {
            if agent.client.circuitOpen { return .unavailable(reason: "circuit open") }
            let alertBlock = render(context.sanitizedAlert ?? session.sanitize(alert: alert), label: "alert")
            var opening = "Triage this alert. Its data follows.\n\n" + alertBlock
            if !context.ruleFindings.isEmpty {
                opening += "\n\nVigil's detection rules matched: " + context.ruleFindings.joined(separator: "; ") + "."
            }
            let prefetched = await prefetch()
            if !prefetched.isEmpty {
                opening += "\n\nContext already gathered (tool results; their evidence ids may be cited):\n\n" + prefetched.joined(separator: "\n\n")
            }
            messages = [.user(opening)]
            let definitions = agent.tools.toolDefinitions + [.submitVerdict]
            let offered = Set(agent.tools.toolDefinitions.map(\.name))
            var reminded = false
            for turn in 1...max(1, configuration.maxTurns) {
                guard ContinuousClock.now < deadline else { return .timedOut(reason: "deadline") }
                let request = LLMRequest(
                    system: TriagePrompt.system(spotlighter: configuration.spotlighter),
                    messages: messages,
                    tools: definitions,
                    maxTokens: configuration.maxTokensPerCall,
                    extraHeaders: configuration.extraHeaders
                )
                let callStarted = ContinuousClock.now
                let outcome = await agent.client.complete(
                    request, continuing: prepared, timeout: configuration.callTimeout, deadline: deadline)
                prepared = outcome.prepared
                let latency = LLMClient.milliseconds(callStarted.duration(to: ContinuousClock.now))
                let offset = LLMClient.milliseconds(started.duration(to: callStarted))
                let response: LLMResponse
                switch outcome.result {
                case .failure(let error):
                    audit.calls.append(
                        .init(
                            turn: turn, error: error.code.description, usage: LLMUsage(), costUSD: 0, latencyMilliseconds: latency,
                            attempts: outcome.attempts, encodeMilliseconds: outcome.encodeMilliseconds, offsetMilliseconds: offset)
                    )
                    return Self.result(for: error)
                case .success(let answer):
                    response = answer
                }
                audit.calls.append(
                    .init(
                        turn: turn,
                        stopReason: response.stopReason.description,
                        usage: response.usage,
                        costUSD: agent.client.provider.configuration.prices.cost(of: response.usage),
                        latencyMilliseconds: latency,
                        attempts: outcome.attempts,
                        requestID: response.requestID,
                        encodeMilliseconds: outcome.encodeMilliseconds,
                        offsetMilliseconds: offset
                    )
                )
                messages.append(response.message)
                let calls = response.message.toolCalls
                switch response.stopReason {
                case .refusal:
                    return .refused(reason: "stop_reason refusal")
                case .maxTokens:
                    return .invalid(reason: "stop_reason max_tokens: the answer was cut off")
                case .pauseTurn:
                    continue  // send the paused turn back as is; the model resumes it
                default:
                    break
                }
                if let verdict = calls.first(where: { $0.name == LLMToolDefinition.submitVerdict.name }) {
                    guard let input = verdict.arguments.value else {
                        return .invalid(reason: "submit_verdict arguments are not a JSON object")
                    }
                    return AIResult.fromSubmitVerdict(input, knownEvidence: knownEvidence)
                }
                if calls.isEmpty {
                    if reminded { return .invalid(reason: "no submit_verdict call") }
                    reminded = true
                    messages.append(.user(TriagePrompt.submitReminder))
                    continue
                }
                if !calls.contains(where: { offered.contains($0.name) }) {
                    return .invalid(reason: "called only tools that were not offered")
                }
                let results = await answer(calls, turn: turn, offered: offered)
                messages.append(LLMMessage(role: .user, content: results.map { .toolResult($0) }))
            }
            return .timedOut(reason: "turn limit \(configuration.maxTurns)")
        }

        /// The pre-fetched tool results, rendered in ``Configuration/prefetchTools`` order; their evidence becomes
        /// citable. The tools run concurrently (turn 0).
        mutating func prefetch() async -> [String] {
            let requests: [(name: String, arguments: JSONValue)] = configuration.prefetchTools.compactMap { name in
                guard agent.tools.toolDefinitions.contains(where: { $0.name == name }),
                    let arguments = Self.prefetchArguments(name, alert: alert)
                else { return nil }
                return (name, arguments)
            }
            let answers = await Self.callConcurrently(agent.tools, requests.map { ($0.name, $0.arguments) }, since: started)
            var rendered: [String] = []
            for (request, answer) in zip(requests, answers) {
                guard let (result, offset, latency) = answer else { continue }
                let text = absorb(result, name: request.name)
                audit.toolCalls.append(
                    .init(
                        turn: 0, name: request.name, arguments: request.arguments.jsonText, isError: result.isError, refusal: nil,
                        evidenceIDs: result.isError ? [] : result.evidenceIDs, latencyMilliseconds: latency, offsetMilliseconds: offset
                    )
                )
                rendered.append(text)
            }
            return rendered
        }

        /// Calls the tools concurrently; each answer (nil where `calls[i]` is nil) with its start (milliseconds after
        /// `since`) and its latency, in the order of `calls`.
        static func callConcurrently(
            _ tools: any InvestigationTools, _ calls: [(name: String, arguments: JSONValue)?], since: ContinuousClock.Instant
        ) async -> [(InvestigationToolResult, offset: Double, latency: Double)?] {
            await withTaskGroup(of: (Int, InvestigationToolResult, Double, Double).self) { group in
                for (index, call) in calls.enumerated() {
                    guard let call else { continue }
                    group.addTask {
                        let started = ContinuousClock.now
                        let result = await tools.call(name: call.name, arguments: call.arguments)
                        let latency = LLMClient.milliseconds(started.duration(to: ContinuousClock.now))
                        return (index, result, LLMClient.milliseconds(since.duration(to: started)), latency)
                    }
                }
                var answers = [(InvestigationToolResult, offset: Double, latency: Double)?](repeating: nil, count: calls.count)
                for await (index, result, offset, latency) in group { answers[index] = (result, offset, latency) }
                return answers
            }
        }

        /// Arguments for a pre-fetched tool from the alert's own fields, nil when the alert lacks them.
        static func prefetchArguments(_ name: String, alert: Alert) -> JSONValue? {
            switch name {
            case "get_iam_principal_history": alert.principal.map { ["principal_arn": .string($0)] }
            case "lookup_ip_reputation": alert.sourceIP.map { ["ip_address": .string($0)] }
            case "get_cloudtrail_events": alert.principal.map { ["principal_arn": .string($0), "hours_back": 24] }
            case "check_guardduty_findings": alert.account.map { ["account_id": .string($0)] }
            case "get_vpc_flow_logs": alert.sourceIP.map { ["source_ip": .string($0), "hours_back": 1] }
            default: nil
            }
        }

        /// Answers every call of one turn, in order, one result per call id; the tools run concurrently.
        mutating func answer(_ calls: [LLMToolCall], turn: Int, offered: Set<String>) async -> [LLMToolResult] {
            let answers = await Self.callConcurrently(
                agent.tools,
                calls.map { call in
                    guard offered.contains(call.name), let arguments = call.arguments.value else { return nil }
                    return (call.name, arguments)
                },
                since: started)
            var results: [LLMToolResult] = []
            for (call, timed) in zip(calls, answers) {
                let arguments: String =
                    switch call.arguments {
                    case .object(let object): JSONValue.object(object).jsonText
                    case .invalid(let raw): raw
                    }
                guard let (answer, offset, latency) = timed else {
                    let refusal =
                        offered.contains(call.name)
                        ? "arguments must be a JSON object matching the tool's schema"
                        : "unknown tool; use only the tools offered"
                    audit.toolCalls.append(
                        .init(turn: turn, name: call.name, arguments: arguments, isError: true, refusal: refusal, evidenceIDs: [], latencyMilliseconds: 0)
                    )
                    results.append(LLMToolResult(toolCallID: call.id, content: "error: \(refusal)", isError: true))
                    continue
                }
                let text = absorb(answer, name: call.name)
                audit.toolCalls.append(
                    .init(
                        turn: turn, name: call.name, arguments: arguments, isError: answer.isError, refusal: nil,
                        evidenceIDs: answer.isError ? [] : answer.evidenceIDs, latencyMilliseconds: latency, offsetMilliseconds: offset
                    )
                )
                results.append(LLMToolResult(toolCallID: call.id, content: text, isError: answer.isError))
            }
            return results
        }

        /// Sanitises and spotlights one tool result, and records its evidence (only a successful result's ids count).
        mutating func absorb(_ result: InvestigationToolResult, name: String) -> String {
            resultCount += 1
            let clean = session.sanitize(result.content, document: "\(name)#\(resultCount)")
            if !result.isError {
                let summaries = Self.evidenceSummaries(in: clean)
                for id in result.evidenceIDs where !knownEvidence.contains(id) {
                    knownEvidence.insert(id)
                    evidence.append(Evidence(id: id, source: name, summary: summaries[id] ?? ""))
                }
            }
            return render(clean, label: name)
        }

        func render(_ value: JSONValue, label: String) -> String {
            configuration.spotlighter.render(value, label: label, nonce: Self.nonce())
        }

        /// Each evidence record's sanitised JSON text, bounded, by its id.
        static func evidenceSummaries(in value: JSONValue) -> [String: String] {
            var summaries: [String: String] = [:]
            func walk(_ value: JSONValue) {
                switch value {
                case .object(let object):
                    if let id = object["evidence_id"]?.stringValue, summaries[id] == nil {
                        let text = value.jsonText
                        // Bytes first: counting characters walks every grapheme, and most summaries are short.
                        summaries[id] = text.utf8.count > 600 && text.count > 600 ? String(text.prefix(600)) + "…" : text
                    }
                    for member in object { walk(member.value) }
                case .array(let items): items.forEach(walk)
                default: break
                }
            }
            walk(value)
            return summaries
        }

        static func nonce() -> String {
            var generator = SystemRandomNumberGenerator()
            return String(generator.next() as UInt64, radix: 36) + String(generator.next() as UInt64, radix: 36)
        }

        /// The AI result for a failed model call.
        static func result(for error: LLMProviderError) -> AIResult {
            switch error.code {
            case .timeout, .rateLimitDeadline: .timedOut(reason: error.code.description)
            case .invalidResponse: .invalid(reason: error.code.description)
            default: .unavailable(reason: error.status.map { "\(error.code) (HTTP \($0))" } ?? error.code.description)
            }
        }
    }
}
