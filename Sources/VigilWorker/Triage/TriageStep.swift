import Foundation
import VigilCore
import VigilQueue

/// What a triage step is given: one claimed alert.
public struct TriageInput: Sendable, CustomStringConvertible {
    /// Vigil's id of the alert.
    public var alertID: UUID
    /// The alert's shard.
    public var shard: Int
    /// This attempt's number, 1-based.
    public var attempt: Int
    /// The alert; its payload is untrusted and never logged.
    public var alert: Alert

    public init(alertID: UUID, shard: Int, attempt: Int, alert: Alert) {
        self.alertID = alertID
        self.shard = shard
        self.attempt = attempt
        self.alert = alert
    }

    public var description: String { "TriageInput(\(shard)/\(alertID.uuidString.lowercased()), attempt \(attempt))" }
}

/// What a triage step decided: an explicit outcome, and the verdict when the outcome is `.complete`.
public struct TriageResult: Sendable {
    public var outcome: JobOutcome
    /// Required when `outcome` is `.complete`; a completion without one is treated as a failed attempt.
    public var verdict: VerdictRecord?

    public init(outcome: JobOutcome, verdict: VerdictRecord?) {
        self.outcome = outcome
        self.verdict = verdict
    }

    /// Done, with this verdict.
    public static func complete(_ verdict: VerdictRecord) -> TriageResult { TriageResult(outcome: .complete, verdict: verdict) }

    /// Not done: retry, fail or dead-letter as `outcome` says.
    public static func notDone(_ outcome: JobOutcome) -> TriageResult { TriageResult(outcome: outcome, verdict: nil) }
}

/// The worker's triage step: given one alert, a verdict or an explicit outcome.
///
/// Contract: a step expresses every failure as a ``TriageResult`` (`.fail`, `.retry`, `.deadLetter`), never by
/// throwing; it throws only `CancellationError` when its task is cancelled (shutdown's second phase), and the
/// job is then handed back unfinished. Any other error thrown counts as `.fail` with code `internal`.
public protocol TriageStep: Sendable {
    func triage(_ input: TriageInput) async throws -> TriageResult
}
