import Foundation
import Testing
import VigilCore
import VigilSimulator

/// `vigil worker` processes with the AI step against the simulator (in this process, over real HTTP) and a real
/// PostgreSQL: verdicts decided by the AI path with their audit, and an LLM outage that loses no alert.
@Suite(.serialized)
struct AIWorkerProcessTests {
    static func arguments(baseURL: String, key: [String] = ["--llm-no-api-key"], extra: [String] = []) -> [String] {
        [
            "--triage", "ai", "--llm-provider", "anthropic", "--llm-base-url", baseURL, "--llm-tools-clock", "alert",
            "--lease-seconds", "2", "--job-lease-seconds", "10", "--poll-seconds", "0.5", "--max-in-flight", "8", "--drain-timeout", "1",
            "--llm-backoff-seconds", "0.05", "--llm-tool-evidence-limit", "4", "--llm-tool-top-limit", "3",
        ] + key + extra
    }

    static func waitForVerdicts(_ bed: AITestBed, count: Int, worker: WorkerProcess) async throws -> [AITestBed.StoredVerdict] {
        let done = try await bed.db.waitUntil(timeout: .seconds(90)) { try await bed.db.count("SELECT count(*) FROM verdict") >= count }
        #expect(done, "verdicts missing; worker log:\n\(worker.log.suffix(3000))")
        return try await bed.verdicts()
    }

    @Test(.timeLimit(.minutes(3)))
    func workerTriagesWithTheAIPath() async throws {
        try await AITestBed.with { bed in
            // The simulator requires this key: AI verdicts prove the worker sent it; its log must never show it.
            let secret = "sk-ant-test-" + UUID().uuidString
            let keyFile = NSTemporaryDirectory() + "vigil-key-\(UUID().uuidString.prefix(8))"
            try secret.write(toFile: keyFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: keyFile) }
            var simulator = SimulatorConfiguration.testing
            simulator.apiKey = secret
            try await LLMSimulator.withRunning(simulator) { sim in
                let benign = (0..<2).map { _ in AITestBed.alert("DescribeInstances") }
                let guarded = AITestBed.guardrailAlerts.map(\.1)
                try await bed.enqueue(benign + guarded)
                try await WorkerProcess.with(
                    databaseURL: bed.db.processURL, arguments: Self.arguments(baseURL: sim.baseURL, key: ["--llm-api-key-file", keyFile])
                ) { worker in
                    let verdicts = try await Self.waitForVerdicts(bed, count: benign.count + guarded.count, worker: worker)
                    #expect(verdicts.count == benign.count + guarded.count)
                    #expect(worker.log.contains("AI path on"))
                    #expect(!worker.log.contains(secret))
                    #expect(worker.log.contains("file \(keyFile)"), "the start-up line names where the key came from")
                    let benignIDs = Set(benign.map(\.externalID))
                    for verdict in verdicts {
                        let audit = verdict.triage["ai"]?["audit"]
                        #expect(verdict.triage["ai"]?["status"] == "verdict", "\(verdict.flags)")
                        #expect((audit?["usage"]?["output_tokens"]?.intValue ?? 0) > 0)
                        #expect((audit?["cost_usd"]?.doubleValue ?? 0) > 0)
                        #expect(audit?["tool_calls"]?.arrayValue?.isEmpty == false)
                        Self.expectOrderedTimeline(verdict)
                        if benignIDs.contains(verdict.externalID) {
                            #expect(verdict.decidedBy == "ai", "\(verdict.flags) \(verdict.guardrails)")
                        } else {
                            #expect(verdict.decision == "ESCALATE")
                            #expect(verdict.decidedBy == "guardrail")
                        }
                    }
                    #expect(sim.simulator.stats().served >= verdicts.count * 2)
                    worker.signal(SIGTERM)
                    #expect(await worker.waitForExit() == 0)
                }
            }
        }
    }

    /// The verdict's `triage.timing` runs in step order between the alert's ingest and the verdict's transaction (one
    /// host: the worker's wall clock and the database's agree), and its audit's timing has the model's wire time.
    static func expectOrderedTimeline(_ verdict: AITestBed.StoredVerdict) {
        let timing = verdict.triage["timing"]
        let keys = [
            "claim_sent_at_us", "claimed_at_us", "step_started_at_us", "step_ended_at_us", "submitted_at_us", "write_started_at_us",
        ]
        let instants = [verdict.receivedAt] + keys.map { timing?[$0]?.intValue ?? -1 } + [verdict.createdAt]
        #expect(instants.allSatisfy { $0 > 0 }, "every instant present: \(timing?.jsonText ?? "no timing")")
        #expect(zip(instants, instants.dropFirst()).allSatisfy { $0 <= $1 }, "in step order: \(instants)")
        #expect((timing?["claim_ready_at_us"]?.intValue ?? .max) <= (timing?["claim_sent_at_us"]?.intValue ?? 0))
        #expect((timing?["write_batch"]?.intValue ?? 0) >= 1)
        if let notified = timing?["notified_at_us"]?.intValue { #expect(notified <= (timing?["claim_sent_at_us"]?.intValue ?? 0)) }
        let audit = verdict.triage["ai"]?["audit"]
        let wire = audit?["timing"]?["wire_ms"]?.doubleValue ?? 0
        #expect(wire > 0 && wire <= (audit?["latency_ms"]?.doubleValue ?? 0), "wire time inside the AI path's time")
        let step = Double((timing?["step_ended_at_us"]?.intValue ?? 0) - (timing?["step_started_at_us"]?.intValue ?? 0)) / 1000
        #expect((audit?["latency_ms"]?.doubleValue ?? .infinity) <= step + 1, "the AI path runs inside the step")
    }

    @Test(.timeLimit(.minutes(3)))
    func llmOutageLosesNoAlertAndNeverCloses() async throws {
        try await AITestBed.with(loadCloudTrail: false) { bed in
            let alerts = (0..<6).map { _ in AITestBed.alert("DescribeInstances") } + AITestBed.guardrailAlerts.map(\.1)
            try await bed.enqueue(alerts)
            try await WorkerProcess.with(
                databaseURL: bed.db.processURL,
                arguments: Self.arguments(
                    baseURL: try await stoppedSimulatorURL(), extra: ["--llm-max-attempts", "2", "--llm-breaker-failures", "3"])
            ) { worker in
                let verdicts = try await Self.waitForVerdicts(bed, count: alerts.count, worker: worker)
                #expect(verdicts.count == alerts.count)
                for verdict in verdicts {
                    #expect(verdict.decision != "CLOSE")
                    #expect(verdict.flags.contains("ai_unavailable"), "\(verdict.flags)")
                    #expect(verdict.triage["ai"]?["status"] == "unavailable")
                }
                #expect(try await bed.db.count("SELECT count(*) FROM dead_job") == 0)
            }
        }
    }

    @Test
    func noProviderMeansAIOffAndSaysSo() async throws {
        try await AITestBed.with(loadCloudTrail: false) { bed in
            try await bed.enqueue([AITestBed.alert("DescribeInstances")])
            try await WorkerProcess.with(databaseURL: bed.db.processURL, arguments: ["--triage", "rules", "--poll-seconds", "0.5"]) { worker in
                let verdicts = try await Self.waitForVerdicts(bed, count: 1, worker: worker)
                #expect(verdicts.first?.flags.contains("ai_disabled") == true)
                #expect(worker.log.contains("AI path off"))
            }
        }
    }
}
