/// How a job attempt ended, as the job's step says it explicitly (STYLE §5): never inferred from whichever
/// error happened to be thrown.
public enum JobOutcome: Sendable, Hashable {
    /// Done: write the verdict and remove the job, in one fenced transaction.
    case complete
    /// Try again after `delay` (the step knows when: a `retry-after`, a known maintenance window). Counts as an
    /// attempt; the delay is capped by the policy's `maxDelay`.
    case retry(after: Duration, error: JobError)
    /// This attempt failed: try again after the policy's backoff, or dead-letter when attempts are used up.
    case fail(JobError)
    /// Never try again: move the job to the dead-letter table now with this error.
    case deadLetter(JobError)
}

/// What the queue does with a job after an attempt: the outcome resolved against the retry policy.
public enum JobDisposition: Sendable, Hashable {
    /// Remove the job; its verdict is written.
    case complete
    /// Make the job ready again at `now() + delay`, keeping `error` as its last error.
    case retry(delay: Duration, error: JobError)
    /// Move the job to `dead_job` with its last error and the attempts made.
    case deadLetter(error: JobError, attempts: Int)
}
