import Foundation
import Logging
import Testing
import VigilCore
import VigilPostgres
import VigilQueue

@testable import VigilWorker

/// The worker's per-job timeline (`triage.timing`) and the overhead breakdown read from it (issue 7).
struct TriageTimelineTests {
    static let timeline = TriageTimeline(
        claimReadyAt: 1_000_000, notifiedAt: 1_001_800, claimSentAt: 1_002_000, claimedAt: 1_003_500, stepStartedAt: 1_003_600, stepEndedAt: 1_503_600,
        submittedAt: 1_503_700, writeStartedAt: 1_504_000, writeBatch: 3)

    @Test func jsonRoundTrip() throws {
        let json = Self.timeline.json
        #expect(json["claim_sent_at_us"]?.intValue == 1_002_000)
        #expect(json["write_batch"]?.intValue == 3)
        #expect(json["notified_at_us"]?.intValue == 1_001_800)
        #expect(TriageTimeline(json: json) == Self.timeline)
        var unwritten = Self.timeline
        unwritten.writeStartedAt = nil
        unwritten.writeBatch = nil
        #expect(unwritten.json["write_started_at_us"] == nil)
        #expect(TriageTimeline(json: unwritten.json) == unwritten)
        guard case .object(var missing) = json else { Issue.record("not an object"); return }
        missing["claimed_at_us"] = nil
        #expect(TriageTimeline(json: .object(missing)) == nil, "an instant the worker always writes is missing")
    }

    @Test func verdictRecordCarriesIt() {
        var verdict = VerdictRecord(decision: .escalate, rationale: "r", decidedBy: "ai", triage: ["path": "rules+ai"])
        #expect(verdict.timeline == nil)
        verdict.timeline = Self.timeline
        #expect(verdict.triage["timing"]?["claim_ready_at_us"]?.intValue == 1_000_000)
        #expect(verdict.triage["path"] == "rules+ai", "the rest of triage is kept")
        #expect(verdict.timeline == Self.timeline)
    }

    static let audit: JSONValue = [
        "latency_ms": 480,
        "timing": [
            "wire_ms": 400, "admission_wait_ms": 2, "codec_ms": 3, "settle_ms": 0.5, "call_other_ms": 0.5, "tools_ms": 70, "agent_ms": 4,
        ],
    ]

    @Test("the steps add up to the latency; overhead is the latency less wire and tools; no slot wait when the loop had room")
    func breakdownWithRoom() throws {
        // Ingest committed at 1.0015 s, after the loop had room (1.0 s): no slot wait, the wake-up runs from the commit.
        let breakdown = try #require(
            Self.timeline.breakdown(ingestCommitAt: 1_001_500, verdictStartAt: 1_505_000, verdictCommitAt: 1_507_000, audit: Self.audit))
        #expect(breakdown.latency == 505.5)
        #expect(breakdown.slotWait == 0)
        #expect(breakdown.notify == 0.3, "commit → the listener read the notification")
        #expect(breakdown.wake == 0.2, "the notification → the claim sent")
        #expect(breakdown.claim == 1.5)
        #expect(breakdown.dispatch == 0.1)
        #expect(breakdown.llmWire == 400)
        #expect(breakdown.llmOther == 1)
        #expect(breakdown.tools == 70)
        #expect(breakdown.stepOther == 500 - 480)
        #expect(breakdown.writerQueue == 0.4)
        #expect(breakdown.writeSend == 1)
        #expect(breakdown.commit == 2)
        #expect(abs(breakdown.steps.reduce(0) { $0 + $1.milliseconds } - breakdown.latency) < 1e-9)
        #expect(breakdown.overhead == 505.5 - 400 - 70)
        #expect(breakdown.overheadWithoutSlotWait == breakdown.overhead)
    }

    @Test("an alert committed before its worker had room waited for a slot; the wake-up runs from the room")
    func breakdownWithSlotWait() throws {
        let breakdown = try #require(
            Self.timeline.breakdown(ingestCommitAt: 900_000, verdictStartAt: 1_505_000, verdictCommitAt: 1_507_000, audit: Self.audit))
        #expect(breakdown.slotWait == 100)
        #expect(breakdown.notify + breakdown.wake == 2)
        #expect(abs(breakdown.steps.reduce(0) { $0 + $1.milliseconds } - breakdown.latency) < 1e-9)
        #expect(breakdown.overheadWithoutSlotWait == breakdown.overhead - 100)
    }

    @Test("a notification read before the alert's commit did not wake the loop for it: the whole pick-up is the wake-up")
    func staleNotification() throws {
        var timeline = Self.timeline
        timeline.notifiedAt = 1_001_000
        let breakdown = try #require(
            timeline.breakdown(ingestCommitAt: 1_001_500, verdictStartAt: 1_505_000, verdictCommitAt: 1_507_000, audit: Self.audit))
        #expect(breakdown.notify == 0)
        #expect(breakdown.wake == 0.5)
        timeline.notifiedAt = nil
        #expect(timeline.breakdown(ingestCommitAt: 1_001_500, verdictStartAt: 1_505_000, verdictCommitAt: 1_507_000, audit: Self.audit)?.wake == 0.5)
    }

    @Test func breakdownNeedsTheWrite() {
        var unwritten = Self.timeline
        unwritten.writeStartedAt = nil
        #expect(unwritten.breakdown(ingestCommitAt: 0, verdictStartAt: 0, verdictCommitAt: 0, audit: nil) == nil)
    }

    @Test("the completion writer stamps its start and batch size on the verdicts that carry a timeline")
    func writerStamps() {
        func result(_ timeline: TriageTimeline?) -> JobResult {
            var verdict = VerdictRecord(decision: .escalate, rationale: "r", decidedBy: "ai")
            verdict.timeline = timeline
            return JobResult(key: .init(shard: 0, alertID: UUID()), attempt: 1, disposition: .complete, verdict: verdict)
        }
        var unwritten = Self.timeline
        unwritten.writeStartedAt = nil
        unwritten.writeBatch = nil
        let stamped = CompletionService.stamped([result(unwritten), result(nil)], at: 7_000_000)
        #expect(stamped[0].verdict.timeline?.writeStartedAt == 7_000_000)
        #expect(stamped[0].verdict.timeline?.writeBatch == 2)
        #expect(stamped[0].verdict.timeline?.claimSentAt == unwritten.claimSentAt)
        #expect(stamped[1].verdict.timeline == nil)
    }

    @Test("the claim loop's room: since when it could claim, cleared while the slots are full")
    func claimRoom() throws {
        var configuration = WorkerConfiguration()
        configuration.maxInFlight = 2
        configuration.claimBatch = 4
        let runtime = try WorkerRuntime(
            workerID: WorkerID("w"), configuration: configuration, shardCount: 4,
            pool: PostgresPool(configuration: PostgresConfiguration(connectionString: "postgresql://127.0.0.1:9/none")),
            step: PlaceholderTriageStep(), logger: Logger(label: "test"))
        let before = TriageTimeline.now()
        let initial = try #require(runtime.claimRoom.since, "an idle worker has room")
        #expect(initial <= before)
        func job() -> ClaimedJob {
            ClaimedJob(
                key: .init(shard: 0, alertID: UUID()), attempt: 1, maxAttempts: 3, leaseEpoch: 1, previousDelay: nil,
                alert: Alert(source: "s", externalID: UUID().uuidString, kind: "k", severity: .low, occurredAt: Date(), payload: [:]))
        }
        let jobs = [job(), job()]
        runtime.started(jobs[0])
        #expect(runtime.claimRoom.since == initial, "one slot still free: the room continues")
        runtime.started(jobs[1])
        #expect(runtime.claimRoom.budget == 0)
        #expect(runtime.claimRoom.since == nil, "no room while both slots run")
        let freed = TriageTimeline.now()
        runtime.ended(jobs[0], interrupted: true)
        let since = try #require(runtime.claimRoom.since)
        #expect(since >= freed, "the room starts when a slot came free")
    }
}
