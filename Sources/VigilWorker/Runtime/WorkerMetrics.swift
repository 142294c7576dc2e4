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
    /// retries, dead-letters and stale results.
    func record(batch: [JobResult], report: FinishReport) {
        for result in batch {
            guard report.applied.contains(result.key) else {
                staleResults.increment()
                continue
            }
            switch result.disposition {
            case .retry: retries.increment()
            case .deadLetter: deadLettered.increment()
            case .complete:
                guard let decision = report.writtenDecisions[result.key] else { continue }
                let verdict = result.verdict
                Counter(label: MetricName.verdicts, dimensions: [("decision", decision.rawValue), ("path", verdict.decidedBy)]).increment()
                var guardrails = Set(verdict.guardrails)
                if decision != verdict.decision, decision == .escalate {
                    recurrences.increment()
                    guardrails.insert(JobStore.recurrenceGuardrail)
                }
                for guardrail in guardrails { Counter(label: MetricName.guardrailHits, dimensions: [("guardrail", guardrail)]).increment() }
            }
        }
    }
}
