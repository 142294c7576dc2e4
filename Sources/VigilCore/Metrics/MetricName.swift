/// The names of Vigil's Prometheus metrics, in one place: the processes record under them, `deploy/grafana` and
/// `deploy/prometheus` query them, and a test checks that every name the dashboards and alert rules use is here.
///
/// Labels never carry alert data: shard numbers, decisions, paths, guardrail classes, provider and model names.
public enum MetricName {
    // Worker (each worker's `--metrics-listen` endpoint).
    /// Histogram: one claim statement's round trip.
    public static let claimDuration = "vigil_claim_duration_seconds"
    /// Histogram: one triage step run (rules ∥ AI), labels `step`.
    public static let triageDuration = "vigil_triage_duration_seconds"
    /// Counter: verdicts written, labels `decision`, `path` (who decided: rules, llm, …).
    public static let verdicts = "vigil_verdicts_total"
    /// Counter: guardrails applied to written verdicts, label `guardrail`.
    public static let guardrailHits = "vigil_guardrail_hits_total"
    /// Counter: MONITOR recurrences escalated by the completion statement.
    public static let monitorRecurrences = "vigil_monitor_recurrences_total"
    /// Counter: attempts ended in retry, label `kind` (retry) and dead-letters.
    public static let jobRetries = "vigil_jobs_retried_total"
    /// Counter: jobs this worker moved to `dead_job`.
    public static let jobsDeadLettered = "vigil_jobs_dead_lettered_total"
    /// Counter: results refused by the fence (the job or its shard lease moved on).
    public static let staleResults = "vigil_results_stale_total"
    /// Counter: expired or orphaned running jobs made ready again by this worker.
    public static let jobsRescued = "vigil_jobs_rescued_total"
    /// Counter: shard-lease changes, label `kind` (acquired, stolen, lost, released).
    public static let leaseMoves = "vigil_lease_moves_total"
    /// Gauge: shard leases this worker holds.
    public static let leasesHeld = "vigil_shard_leases_held"
    /// Gauge: jobs running in this worker.
    public static let jobsInFlight = "vigil_jobs_in_flight"

    // LLM (recorded by VigilLLM's client, labels `provider`, `model`).
    /// Counter: model calls sent, label `status` (HTTP status, or `transport`, `timeout`).
    public static let llmRequests = "vigil_llm_requests_total"
    /// Counter: tokens used, label `direction` (input, output).
    public static let llmTokens = "vigil_llm_tokens_total"
    /// Counter: estimated cost in US dollars.
    public static let llmCost = "vigil_llm_cost_usd_total"
    /// Counter: 429 answers.
    public static let llmRateLimited = "vigil_llm_rate_limited_total"
    /// Gauge: the circuit breaker, 0 closed, 1 open (calls go to the rule path).
    public static let llmCircuitOpen = "vigil_llm_circuit_open"

    // Cluster (the coordinator's `/metrics`, read from the database at scrape time).
    /// Gauge: jobs in `triage_job`, labels `shard`, `state` (ready, running).
    public static let backlog = "vigil_backlog_jobs"
    /// Gauge: age of the oldest due ready job, label `shard`.
    public static let oldestReady = "vigil_backlog_oldest_ready_seconds"
    /// Counter: the cluster-wide `queue_counter` values, label `event` (rescued_jobs, stale_completions, …).
    public static let queueEvents = "vigil_queue_events_total"
    /// Gauge: rows in `dead_job`.
    public static let deadJobs = "vigil_dead_jobs"
    /// Gauge: webhook notifications waiting in the outbox.
    public static let webhookPending = "vigil_webhook_outbox_pending"
    /// Gauge: webhook notifications dead-lettered.
    public static let webhookDeadLetters = "vigil_webhook_dead_letters"
    /// Gauge: open MONITOR watch-list entries.
    public static let monitorWatchOpen = "vigil_monitor_watch_open"
    /// Gauge: 1 when the scrape reached the database.
    public static let databaseUp = "vigil_database_up"

    // Coordinator.
    /// Counter: webhook tries, labels `webhook`, `outcome` (delivered, retry, dead_letter).
    public static let webhookDeliveries = "vigil_webhook_deliveries_total"

    /// Every name above.
    public static let all: [String] = [
        claimDuration, triageDuration, verdicts, guardrailHits, monitorRecurrences, jobRetries, jobsDeadLettered, staleResults,
        jobsRescued, leaseMoves, leasesHeld, jobsInFlight, llmRequests, llmTokens, llmCost, llmRateLimited, llmCircuitOpen, backlog,
        oldestReady, queueEvents, deadJobs, webhookPending, webhookDeadLetters, monitorWatchOpen, databaseUp, webhookDeliveries,
    ]
}
