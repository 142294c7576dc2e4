import Foundation
import VigilCore
import VigilQueue

/// When one job passed each step of its worker, stored on its verdict as `triage.timing` so that a benchmark can
/// tell where an alert's time went between its ingest commit and its verdict commit.
///
/// Every instant is the wall clock (`CLOCK_REALTIME`, the clock PostgreSQL's timestamps use) in whole microseconds
/// since 1970, so the instants compare with the database's `now()` and commit timestamps on the same host (on
/// another host, only up to the two clocks' offset). In step order:
///
/// - `claim_ready_at_us`: since when the claim loop had room to claim (at least its claim threshold of free slots)
///   before the claim that took the job. An alert committed before it waited for a job slot.
/// - `notified_at_us` (when there was one): the latest notification the worker's listener read (and woke the claim
///   loop for) before the claim was sent.
/// - `claim_sent_at_us` / `claimed_at_us`: the claim statement sent, and its rows (the alert with them) decoded.
/// - `step_started_at_us` / `step_ended_at_us`: the triage step (rule path ∥ AI path, merge, verdict record).
/// - `submitted_at_us`: the result queued for the completion writer.
/// - `write_started_at_us` and `write_batch`: the completion writer took the result, in a batch of that many, and
///   began encoding its statement (set by the writer, so absent from results never written).
///
/// The verdict row's `created_at` (its transaction's start) and its commit timestamp follow.
public struct TriageTimeline: Sendable, Hashable {
    public var claimReadyAt: Int64
    public var notifiedAt: Int64?
    public var claimSentAt: Int64
    public var claimedAt: Int64
    public var stepStartedAt: Int64
    public var stepEndedAt: Int64
    public var submittedAt: Int64
    public var writeStartedAt: Int64?
    public var writeBatch: Int?

    public init(
        claimReadyAt: Int64, notifiedAt: Int64? = nil, claimSentAt: Int64, claimedAt: Int64, stepStartedAt: Int64, stepEndedAt: Int64,
        submittedAt: Int64, writeStartedAt: Int64? = nil, writeBatch: Int? = nil
    ) {
        self.claimReadyAt = claimReadyAt
        self.notifiedAt = notifiedAt
        self.claimSentAt = claimSentAt
        self.claimedAt = claimedAt
        self.stepStartedAt = stepStartedAt
        self.stepEndedAt = stepEndedAt
        self.submittedAt = submittedAt
        self.writeStartedAt = writeStartedAt
        self.writeBatch = writeBatch
    }

    /// The key under `triage` that holds the timeline.
    public static let key = "timing"

    /// The wall clock now, in microseconds since 1970.
    public static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }

    public var json: JSONValue {
        var object: JSONObject = [
            "claim_ready_at_us": .int(claimReadyAt), "claim_sent_at_us": .int(claimSentAt), "claimed_at_us": .int(claimedAt),
            "step_started_at_us": .int(stepStartedAt), "step_ended_at_us": .int(stepEndedAt), "submitted_at_us": .int(submittedAt),
        ]
        if let notifiedAt { object["notified_at_us"] = .int(notifiedAt) }
        if let writeStartedAt { object["write_started_at_us"] = .int(writeStartedAt) }
        if let writeBatch { object["write_batch"] = .int(Int64(writeBatch)) }
        return .object(object)
    }

    /// Reads a timeline back from its JSON; nil when an instant the worker always writes is missing.
    public init?(json: JSONValue?) {
        func instant(_ key: String) -> Int64? { json?[key]?.intValue }
        guard let ready = instant("claim_ready_at_us"), let sent = instant("claim_sent_at_us"), let claimed = instant("claimed_at_us"),
            let started = instant("step_started_at_us"), let ended = instant("step_ended_at_us"), let submitted = instant("submitted_at_us")
        else { return nil }
        self.init(
            claimReadyAt: ready, notifiedAt: instant("notified_at_us"), claimSentAt: sent, claimedAt: claimed, stepStartedAt: started, stepEndedAt: ended, submittedAt: submitted,
            writeStartedAt: instant("write_started_at_us"), writeBatch: json?["write_batch"]?.intValue.map { Int($0) })
    }
}

extension VerdictRecord {
    /// The worker's timeline of this verdict's job (`triage.timing`), nil when it has none.
    public var timeline: TriageTimeline? {
        get { TriageTimeline(json: triage[TriageTimeline.key]) }
        set { triage[TriageTimeline.key] = newValue?.json }
    }
}
