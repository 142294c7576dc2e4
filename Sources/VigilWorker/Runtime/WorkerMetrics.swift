import CoreMetrics
import VigilCore
import VigilQueue

/// The worker's metrics, recorded through swift-metrics under ``VigilCore/MetricName`` (the process bootstraps the
/// Prometheus backend; without one they go nowhere). Labels carry decisions, paths, guardrail classes and lease-move
/// kinds, never alert data.
struct WorkerMetrics: Sendable {
    let claimDuration = Timer(label: MetricName.claimDuration)
    let staleResults = Counter(label: MetricName.staleResults)
    let retries = Counter(label: MetricName.jobRetries)
    let deadLettered = Counter(label: MetricName.jobsDeadLettered)
    let rescued = Counter(label: MetricName.jobsRescued)
    let recurrences = Counter(label: MetricName.monitorRecurrences)
    let leasesHeld = Gauge(label: MetricName.leasesHeld)
    let inFlight = Gauge(label: MetricName.jobsInFlight)

    func triageDuration(step: String) -> Timer { Timer(label: MetricName.triageDuration, dimensions: [("step", step)]) }

    func leaseMoved(_ kind: String, count: Int = 1) {
        guard count > 0 else { return }
        Counter(label: MetricName.leaseMoves, dimensions: [("kind", kind)]).increment(by: count)
    }

    /// Records what one completion batch wrote: verdicts by final decision and path, guardrail hits, recurrences,
    /// retries, dead-letters and stale results. Counts are summed over the batch first, so each labelled counter is
    /// looked up and incremented once per batch, not once per job.
    func record(batch: [JobResult], report: FinishReport) {
        var stale = 0
        var retried = 0
        var dead = 0
        var recurred = 0
        var verdictCounts: [VerdictLabels: Int] = [:]
        var guardrailCounts: [String: Int] = [:]
        for result in batch {
            guard report.applied.contains(result.key) else {
                stale += 1
                continue
            }
            switch result.disposition {
            case .retry: retried += 1
            case .deadLetter: dead += 1
            case .complete:
                guard let decision = report.writtenDecisions[result.key] else { continue }
                let verdict = result.verdict
                verdictCounts[VerdictLabels(decision: decision.rawValue, path: verdict.decidedBy), default: 0] += 1
                var guardrails = Set(verdict.guardrails)
                if decision != verdict.decision, decision == .escalate {
                    recurred += 1
                    guardrails.insert(JobStore.recurrenceGuardrail)
                }
                for guardrail in guardrails { guardrailCounts[guardrail, default: 0] += 1 }
            }
        }
        if stale > 0 { staleResults.increment(by: stale) }
        if retried > 0 { retries.increment(by: retried) }
        if dead > 0 { deadLettered.increment(by: dead) }
        if recurred > 0 { recurrences.increment(by: recurred) }
        for (labels, count) in verdictCounts {
            Counter(label: MetricName.verdicts, dimensions: [("decision", labels.decision), ("path", labels.path)]).increment(by: count)
        }
        for (guardrail, count) in guardrailCounts {
            Counter(label: MetricName.guardrailHits, dimensions: [("guardrail", guardrail)]).increment(by: count)
        }
    }

    private struct VerdictLabels: Hashable {
        var decision: String
        var path: String
    }
}
