import Logging
import VigilCore
import VigilLLM
import VigilQueue

/// The triage step with an LLM provider configured: the rule path and the AI path run concurrently on each alert,
/// then ``VerdictMerge`` decides under the guardrails (DESIGN.md invariants 3–7).
///
/// The AI path is ``TriageAgent/investigate(alert:context:)``: sanitised, spotlighted alert, pre-fetched context,
/// a bounded tool loop over the read-only tools, a validated `submit_verdict`. Whatever it returns — a verdict, or
/// unavailable (provider down, circuit open), refused, timed out, invalid — the rule path's assessment is there, so
/// the alert always gets a verdict; a missing or unusable AI answer falls back to the rule path, which never closes.
/// When the AI path's hygiene session finds instruction-like content in tool results too, the guardrails are
/// re-applied with it (`injection_suspected` applies, the alert is escalated).
///
/// The verdict records the path and guardrails that decided it, its flags (`ai_unavailable`, `ai_invalid`,
/// `ai_refused`, `ai_timed_out`, `ai_overruled`, `injection_suspected`, …) and, in `triage.ai.audit`, everything the
/// AI path did (``TriageAudit``).
///
/// Contract as ``TriageStep``: never throws except `CancellationError` when its task is cancelled (the job is then
/// handed back; a verdict degraded by the cancellation is not written).
public struct AITriageStep: TriageStep {
    /// Every key has a default; none is secret.
    public struct Configuration: Sendable {
        /// The agent's bounds: max turns, max tokens per call, per-call timeout, per-alert deadline (its defaults).
        public var agent: TriageAgent.Configuration
        /// The merge (default: an AI CLOSE needs confidence 0.7).
        public var merge: VerdictMerge
        /// The AI path's hygiene bounds (defaults).
        public var hygiene: HygieneSession.Configuration

        public init(
            agent: TriageAgent.Configuration = TriageAgent.Configuration(),
            merge: VerdictMerge = VerdictMerge(),
            hygiene: HygieneSession.Configuration = HygieneSession.Configuration()
        ) {
            self.agent = agent
            self.merge = merge
            self.hygiene = hygiene
        }
    }

    /// The tools the agent may call for one alert (each alert may anchor the tools' windows differently).
    public typealias ToolsForAlert = @Sendable (Alert) -> any InvestigationTools

    public let configuration: Configuration
    public let client: LLMClient
    private let rulePath: any RulePathEvaluating
    private let tools: ToolsForAlert
    private let logger: Logger

    /// - Parameters:
    ///   - rulePath: the rule path (``RulePath`` in production).
    ///   - client: the model client, with the cluster's rate limiter and this worker's concurrency cap.
    ///   - tools: the read-only tools for one alert (``InvestigationClock/tools(for:context:logger:)`` in production).
    public init(
        rulePath: any RulePathEvaluating,
        client: LLMClient,
        tools: @escaping ToolsForAlert,
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "vigil.triage")
    ) {
        self.rulePath = rulePath
        self.client = client
        self.tools = tools
        self.configuration = configuration
        self.logger = logger
    }

    public func triage(_ input: TriageInput) async throws -> TriageResult {
        try Task.checkCancellation()
        let alert = input.alert
        let agent = TriageAgent(client: client, tools: tools(alert), configuration: configuration.agent, logger: logger)
        // The alert's own data is sanitised once, for both paths: the AI path goes on with the same session (so a
        // secret keeps one placeholder in the tool results too), the rule path takes its report.
        var session = HygieneSession(configuration: configuration.hygiene)
        let sanitized = session.sanitize(alert: alert)
        let context = TriageContext(hygiene: session, sanitizedAlert: sanitized)
        // Structured concurrency: the rule path runs in a child task while this task goes on with the AI path (the
        // longer one: no task to start or to wait for on its way); both end in this scope.
        async let ruleAssessment = rulePath.assess(alert, hygiene: session.report)
        let outcome = await agent.investigate(alert: alert, context: context)
        let assessment = await ruleAssessment
        if Task.isCancelled { throw CancellationError() }

        let hygiene = assessment.hygiene.union(outcome.hygiene)
        var guardrails = assessment.guardrails
        if hygiene.suspiciousFields.count > assessment.hygiene.suspiciousFields.count {
            guardrails = rulePath.guardrails(for: alert, hits: assessment.hits, hygiene: hygiene)
        }
        let verdict = configuration.merge.merge(
            ai: outcome.result, rules: assessment.rules, guardrails: guardrails, evidence: outcome.evidence, hygiene: hygiene)
        return .complete(.triage(verdict, assessment: assessment, ai: outcome))
    }
}
