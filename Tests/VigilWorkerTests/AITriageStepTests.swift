import Foundation
import Synchronization
import Testing
import VigilCore
import VigilLLM
import VigilQueue
import VigilSimulator
import VigilWorker

/// The AI triage step in process: real rule path, real enrichment tools on PostgreSQL (the shared CloudTrail sets),
/// the simulator over real HTTP.
@Suite("AI triage step")
struct AITriageStepTests {
    @Test("analyst: the AI path decides, the audit records tokens, cost and tool calls, and every cited evidence id is real",
        arguments: LLMProviderConfiguration.Kind.allCases)
    func analystDecides(kind: LLMProviderConfiguration.Kind) async throws {
        try await AITestBed.with { bed in
            try await LLMSimulator.withRunning { sim in
                let step = try await bed.step(sim, kind: kind)
                let result = try await step.triage(AITestBed.input(AITestBed.alert("DescribeInstances")))
                #expect(result.outcome == .complete)
                let verdict = try #require(result.verdict)
                #expect(verdict.decidedBy == "ai", "\(verdict.rationale)")
                #expect(verdict.guardrails.isEmpty)
                #expect(!verdict.flags.contains { $0.hasPrefix("ai_") && $0 != "ai_overruled" }, "\(verdict.flags)")
                #expect(verdict.triage["path"] == "rules+ai")
                let ai = try #require(verdict.triage["ai"])
                #expect(ai["status"] == "verdict")
                let audit = try #require(ai["audit"])
                #expect(audit["model"]?.stringValue == step.client.provider.configuration.model)
                #expect((audit["turns"]?.intValue ?? 0) >= 2)
                #expect((audit["usage"]?["input_tokens"]?.intValue ?? 0) > 0)
                #expect((audit["usage"]?["output_tokens"]?.intValue ?? 0) > 0)
                if kind == .anthropic { #expect((audit["cost_usd"]?.doubleValue ?? 0) > 0) }
                #expect((audit["latency_ms"]?.doubleValue ?? -1) >= 0)
                #expect(audit["stop_reasons"]?.arrayValue?.isEmpty == false)
                let toolCalls = try #require(audit["tool_calls"]?.arrayValue)
                #expect(toolCalls.contains { call in
                    call["name"] == "get_cloudtrail_events" && (call["arguments"]?.stringValue ?? "").contains(AITestBed.principal)
                })
                // Every cited id was returned by a tool in this conversation, and names a stored CloudTrail event.
                let returned = Set(toolCalls.flatMap { $0["evidence_ids"]?.arrayValue?.compactMap(\.stringValue) ?? [] })
                let proposedEvidence = ai["proposed"]?["evidence"]?.arrayValue
                let cited = try #require(proposedEvidence).compactMap { $0.stringValue }
                #expect(!cited.isEmpty)
                #expect(Set(cited).isSubset(of: returned))
                #expect(verdict.evidence.allSatisfy { item in cited.contains(item["id"]?.stringValue ?? "") })
                for id in cited where id.hasPrefix("ct:") {
                    #expect(try await bed.db.count("SELECT count(*) FROM cloudtrail_event WHERE event_id = $1", [String(id.dropFirst(3))]) == 1)
                }
            }
        }
    }

    @Test("adversarial behaviours on alerts of every guardrail class never close",
        arguments: ["always-close", "obey-injection", "hallucinate", "malformed"])
    func adversarialNeverCloses(behaviour: String) async throws {
        try await AITestBed.with { bed in
            try await LLMSimulator.withRunning { sim in
                let step = try await bed.step(sim, behaviour: behaviour)
                for (guardrail, alert) in AITestBed.guardrailAlerts {
                    let verdict = try #require(try await step.triage(AITestBed.input(alert)).verdict)
                    #expect(verdict.decision == .escalate, "\(behaviour) on \(guardrail.rawValue): \(verdict.decision)")
                    #expect(verdict.decidedBy == "guardrail", "\(behaviour) on \(guardrail.rawValue)")
                    #expect(verdict.guardrails.contains(guardrail.rawValue), "\(behaviour) on \(guardrail.rawValue): \(verdict.guardrails)")
                    #expect(verdict.triage["ai"]?["audit"]?["turns"]?.intValue ?? 0 >= 1, "the AI path ran")
                    if guardrail == .injectionSuspected { #expect(verdict.flags.contains("injection_suspected")) }
                }
                let replies = sim.simulator.stats().repliesByBehaviour
                #expect(replies.keys.contains { $0.hasPrefix(behaviour) }, "\(replies)")
            }
        }
    }

    @Test("without a guardrail, the adversarial behaviours' closes are still refused: no evidence, unknown evidence or no verdict",
        arguments: ["always-close", "hallucinate", "malformed"])
    func adversarialCloseRefusedWithoutGuardrail(behaviour: String) async throws {
        try await AITestBed.with { bed in
            try await LLMSimulator.withRunning { sim in
                let step = try await bed.step(sim, behaviour: behaviour)
                let verdict = try #require(try await step.triage(AITestBed.input(AITestBed.alert("DescribeInstances"))).verdict)
                #expect(verdict.decision != .close)
                #expect(verdict.flags.contains("ai_invalid"), "\(verdict.flags)")
            }
        }
    }

    @Test("the provider down: the rule path decides, flagged ai_unavailable, never CLOSE")
    func providerDown() async throws {
        try await AITestBed.with(loadCloudTrail: false) { bed in
            let step = try await bed.step(baseURL: try await stoppedSimulatorURL())
            let alerts = [AITestBed.alert("DescribeInstances")] + AITestBed.guardrailAlerts.map(\.1)
            for alert in alerts {
                let verdict = try #require(try await step.triage(AITestBed.input(alert)).verdict)
                #expect(verdict.decision != .close)
                #expect(verdict.flags.contains("ai_unavailable"), "\(verdict.flags)")
                #expect(["rules", "uncertainty", "guardrail"].contains(verdict.decidedBy))
                #expect(verdict.triage["ai"]?["status"] == "unavailable")
            }
        }
    }

    @Test("the simulator stopped mid-run: alerts before have AI verdicts, alerts after fall back to the rule path")
    func simulatorStoppedMidRun() async throws {
        try await AITestBed.with { bed in
            var baseURL = ""
            var before: [VerdictRecord] = []
            // The step outlives the simulator: it is built inside, used inside, then used again after shutdown.
            var step: AITriageStep?
            try await LLMSimulator.withRunning { sim in
                baseURL = sim.baseURL
                let made = try await bed.step(sim)
                step = made
                for _ in 0..<3 {
                    before.append(try #require(try await made.triage(AITestBed.input(AITestBed.alert("DescribeInstances"))).verdict))
                }
            }
            #expect(!baseURL.isEmpty)
            #expect(before.allSatisfy { $0.decidedBy == "ai" && !$0.flags.contains("ai_unavailable") })
            let stepAfter = try #require(step)
            for _ in 0..<3 {
                let verdict = try #require(try await stepAfter.triage(AITestBed.input(AITestBed.alert("DescribeInstances"))).verdict)
                #expect(verdict.flags.contains("ai_unavailable"), "\(verdict.flags)")
                #expect(verdict.decision != .close)
                #expect(verdict.decidedBy != "ai")
            }
        }
    }

    /// The rule path waits (up to 20 s) for the simulator to receive this alert's first model request before it
    /// assesses. If the step ran the paths one after the other, rules first, the request could not arrive while it
    /// waits and `observed` stays false; run concurrently, it arrives within milliseconds. No timing is asserted.
    @Test("the rule path and the AI path run concurrently")
    func pathsRunConcurrently() async throws {
        try await AITestBed.with { bed in
            try await LLMSimulator.withRunning { sim in
                let rulePath = ObservingRulePath(inner: try RulePath.builtin(), simulator: sim.simulator)
                let step = try await bed.step(sim, rulePath: rulePath)
                let verdict = try #require(try await step.triage(AITestBed.input(AITestBed.alert("DescribeInstances"))).verdict)
                #expect(rulePath.observed.withLock { $0 } == true, "the model request did not arrive while the rule path ran")
                #expect(verdict.decidedBy == "ai")
                #expect(verdict.triage["rule_hits"] != nil)
            }
        }
    }
}

/// A rule path that, before assessing, waits for the simulator's first request and records whether it came.
final class ObservingRulePath: RulePathEvaluating {
    let inner: RulePath
    let simulator: LLMSimulator
    let observed = Mutex<Bool?>(nil)

    init(inner: RulePath, simulator: LLMSimulator) {
        self.inner = inner
        self.simulator = simulator
    }

    func assess(_ alert: Alert, hygiene: HygieneReport?) async -> RuleAssessment {
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while simulator.requestLog().isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let arrived = !simulator.requestLog().isEmpty
        observed.withLock { $0 = arrived }
        return await inner.assess(alert, hygiene: hygiene)
    }

    func guardrails(for alert: Alert, hits: [RuleHit], hygiene: HygieneReport) -> [GuardrailFinding] {
        inner.guardrails(for: alert, hits: hits, hygiene: hygiene)
    }
}
