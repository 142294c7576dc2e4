import CoreMetrics
import Foundation
import Logging
import Synchronization
import VigilCore
import VigilPostgres
import VigilQueue

/// The state one worker process's services share: its lease state machine and clock estimate, the jobs in
/// flight, the completion queue and the wake-ups between loops. All of it behind `Mutex`es; no I/O here.
final class WorkerRuntime: Sendable {
    typealias LeaseMachine = ShardLeaseStateMachine<DatabaseInstant>

    let workerID: WorkerID
    let host: String
    let pid: Int
    let configuration: WorkerConfiguration
    let pool: PostgresPool
    let jobs: JobStore
    let leases: ShardLeaseStore
    let step: any TriageStep
    let logger: Logger
    let clock = ContinuousClock()
    let metrics = WorkerMetrics()
    /// The triage step's duration timer, labelled with the step's type (made once, not per job).
    let triageTimer: CoreMetrics.Timer

    /// Wakes the claim loop: a notification, an acquired lease, a free in-flight slot, shutdown.
    let claimWake = WakeSignal()
    /// Wakes the lease loop early: another worker joined or released a lease (``ShardLeaseStore/channel``).
    let leaseWake = WakeSignal()
    /// Wakes the completion writer.
    let completionWake = WakeSignal()
    /// When (wall clock, µs since 1970) the listener last read a notification that woke the claim loop.
    private let lastNotification = Mutex<Int64?>(nil)

    /// Notes that a notification woke the claim loop now (``TriageTimeline/notifiedAt``).
    func noteNotification() {
        let now = TriageTimeline.now()
        lastNotification.withLock { $0 = now }
    }

    /// When the listener last read a notification that woke the claim loop, nil before the first.
    var lastNotificationAt: Int64? { lastNotification.withLock { $0 } }

    private struct LeaseState {
        var machine: LeaseMachine
        var estimate: DatabaseTimeEstimate<ContinuousClock.Instant>?
    }

    private let leaseState: Mutex<LeaseState>

    struct Pending {
        let result: JobResult
        let continuation: CheckedContinuation<Bool, Never>
    }

    /// A job held by this worker.
    private struct Held {
        var job: ClaimedJob
        /// When its step started, until the step's result is submitted (then nil), for ``JobState/meanStep``.
        var stepStartedAt: ContinuousClock.Instant?
    }

    private struct JobState {
        /// Every job held: claimed and not yet ended (running its step, or waiting for its result to be written).
        var inFlight: [ClaimedJob.Key: Held] = [:]
        /// Of `inFlight`, the jobs whose step has ended and whose result is queued for (or being written by) the
        /// completion writer.
        var awaitingWrite = 0
        var interrupted: [ClaimedJob] = []
        var pending: [Pending] = []
        var stopping = false
        var claimingDone = false
        /// Since when (wall clock, µs since 1970) the claim budget has been at or above the claim threshold; nil
        /// while it is below (``TriageTimeline/claimReadyAt``).
        var roomSince: Int64? = TriageTimeline.now()
        /// Moving means, in seconds, of how long a job runs its step (claim to result) and of a claim's round trip;
        /// nil until measured (``WorkerRuntime/claimThreshold(claimBatch:maxInFlight:meanStep:meanClaim:)``).
        var meanStep: Double?
        var meanClaim: Double?
    }

    /// The weight of the newest sample in ``JobState/meanStep`` and ``JobState/meanClaim``.
    private static let meanWeight = 0.1

    private static func moved(_ mean: Double?, toward sample: Duration) -> Double {
        guard let mean else { return sample.seconds }
        return mean + meanWeight * (sample.seconds - mean)
    }

    private let jobState = Mutex(JobState())

    /// What the process did, for its closing log line and benchmarks.
    struct Statistics: Sendable {
        var claims = 0
        var claimed = 0
        var applied = 0
        var stale = 0
        /// The latest claim round trips (at most 10,000), in microseconds.
        var claimMicroseconds: [Int64] = []

        /// The `fraction` quantile of the claim round trips, in milliseconds.
        func claimQuantile(_ fraction: Double) -> Double {
            guard !claimMicroseconds.isEmpty else { return 0 }
            let sorted = claimMicroseconds.sorted()
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) / 1000
        }
    }

    private let statistics = Mutex(Statistics())

    func recordClaim(jobs: Int, took duration: Duration) {
        metrics.claimDuration.recordNanoseconds(duration.nanoseconds)
        jobState.withLock { $0.meanClaim = Self.moved($0.meanClaim, toward: duration) }
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        statistics.withLock { statistics in
            statistics.claims += 1
            statistics.claimed += jobs
            if statistics.claimMicroseconds.count >= 10_000 { statistics.claimMicroseconds.removeFirst(5_000) }
            statistics.claimMicroseconds.append(micros)
        }
    }

    func recordResult(applied: Bool) {
        statistics.withLock { applied ? ($0.applied += 1) : ($0.stale += 1) }
    }

    var currentStatistics: Statistics { statistics.withLock { $0 } }

    init(
        workerID: WorkerID, configuration: WorkerConfiguration, shardCount: Int, pool: PostgresPool, step: any TriageStep,
        logger: Logger
    ) throws {
        self.workerID = workerID
        self.host = ProcessInfo.processInfo.hostName
        self.pid = Int(ProcessInfo.processInfo.processIdentifier)
        self.configuration = configuration
        self.pool = pool
        self.jobs = JobStore(pool: pool, workerID: workerID, monitorRecurrenceWindow: configuration.monitorRecurrenceWindow)
        self.leases = ShardLeaseStore(pool: pool, workerID: workerID)
        self.step = step
        self.triageTimer = metrics.triageDuration(step: String(describing: type(of: step)))
        self.logger = logger
        leaseState = Mutex(
            LeaseState(machine: try LeaseMachine(workerID: workerID, configuration: configuration.leaseConfiguration(shardCount: shardCount))))
    }

    // MARK: Leases

    func withLeaseMachine<T>(_ body: (inout LeaseMachine) -> T) -> T {
        leaseState.withLock { body(&$0.machine) }
    }

    func setEstimate(_ estimate: DatabaseTimeEstimate<ContinuousClock.Instant>) {
        leaseState.withLock { $0.estimate = estimate }
    }

    var estimate: DatabaseTimeEstimate<ContinuousClock.Instant>? { leaseState.withLock { $0.estimate } }

    /// The leases new jobs may be claimed under now (the latest the database's clock can read).
    func claimableLeases() -> [LeaseToken] {
        atClaimTime { $0.claimableLeases(at: $1) } ?? []
    }

    /// Whether new jobs of `shard` may be claimed now (as ``claimableLeases()`` would say, without building it).
    func isClaimable(shard: Int) -> Bool {
        atClaimTime { $0.isClaimable(shard: shard, at: $1) } ?? false
    }

    /// `body` with the lease machine and the latest the database's clock can read now, under the lease lock; nil
    /// before the first clock estimate (nothing is claimable then).
    private func atClaimTime<T: Sendable>(_ body: (LeaseMachine, DatabaseInstant) -> T) -> T? {
        leaseState.withLock { state -> T? in
            guard let estimate = state.estimate else { return nil }
            return body(state.machine, estimate.latest(at: clock.now))
        }
    }

    // MARK: Jobs

    var isStopping: Bool { jobState.withLock { $0.stopping } }

    /// Stops claiming (shutdown's first phase).
    func beginStopping() {
        jobState.withLock { $0.stopping = true }
        withLeaseMachine { $0.beginDraining() }
        claimWake.signal()
    }

    var inFlightCount: Int { jobState.withLock { $0.inFlight.count } }

    /// How many jobs the claim loop may claim now (see ``claimBudget(maxInFlight:held:awaitingWrite:)``).
    var claimBudget: Int { jobState.withLock { budget(of: $0) } }

    /// The claim budget now, since when (wall clock, µs since 1970) it has been at or above the claim threshold (nil
    /// while below it), and that threshold: the smallest claim worth a statement now (see
    /// ``claimThreshold(claimBatch:maxInFlight:meanStep:meanClaim:)``).
    var claimRoom: (budget: Int, since: Int64?, threshold: Int) { jobState.withLock { (budget(of: $0), $0.roomSince, threshold(of: $0)) } }

    /// The smallest claim worth a statement. While steps are short, a quarter of a claim batch (of `maxInFlight` when
    /// smaller): room for that many comes free soon, and each statement claims more jobs. Once steps are long (an AI
    /// step takes seconds), one: room for a quarter batch would come free only after many claims' time (more than
    /// ``claimsWorthWaiting``), while a free slot sat idle and an alert waited for it.
    ///
    /// - Parameters:
    ///   - meanStep: the mean time a job runs its step, in seconds (nil: not measured yet).
    ///   - meanClaim: the mean claim round trip, in seconds (nil: not measured yet).
    static func claimThreshold(claimBatch: Int, maxInFlight: Int, meanStep: Double?, meanClaim: Double?) -> Int {
        let quarter = max(1, min(claimBatch, maxInFlight) / 4)
        guard quarter > 1, let meanStep, let meanClaim else { return quarter }
        // With every slot busy, one comes free about every meanStep / maxInFlight seconds.
        let waitForQuarter = meanStep * Double(quarter - 1) / Double(maxInFlight)
        return waitForQuarter > Double(claimsWorthWaiting) * meanClaim ? 1 : quarter
    }

    /// How many claim round trips of waiting for room a quarter batch is worth. Claiming single jobs costs the server
    /// a statement per job: with trivial steps and 256 slots, waiting about one claim's time (as `vigil worker`
    /// does at 9,000 jobs/s) is worth it, and claiming at once cost 12-20% of worked jobs/s.
    static let claimsWorthWaiting = 20

    private func threshold(of state: JobState) -> Int {
        Self.claimThreshold(
            claimBatch: configuration.claimBatch, maxInFlight: configuration.maxInFlight, meanStep: state.meanStep, meanClaim: state.meanClaim)
    }

    /// The claim budget: at most `maxInFlight` steps run at once, and at most `maxInFlight` more jobs wait for
    /// their results to be written. A job whose step has ended stops counting against the running steps, so the
    /// next batch is claimed (and its steps run) while the previous batch's results are being committed, instead
    /// of after; its job stays held (heartbeated, handed back at shutdown) until the write is done.
    ///
    /// - Parameters:
    ///   - held: jobs claimed and not yet ended.
    ///   - awaitingWrite: of those, the ones whose result is queued for the completion writer.
    static func claimBudget(maxInFlight: Int, held: Int, awaitingWrite: Int) -> Int {
        let running = held - awaitingWrite
        return max(0, min(maxInFlight - running, 2 * maxInFlight - held))
    }

    private func budget(of state: JobState) -> Int {
        Self.claimBudget(maxInFlight: configuration.maxInFlight, held: state.inFlight.count, awaitingWrite: state.awaitingWrite)
    }

    /// Applies `change` to the job state and tells whether the claim loop should be woken: when stopping (the
    /// drain waits for held jobs to end), or when the change lifted the budget to the claim threshold. A loop
    /// waiting with the budget already above the threshold waits for jobs, not for room, so more room does not
    /// wake it (a notification or the poll does).
    private func changeJobs<T>(_ change: (inout JobState) -> T) -> (T, wake: Bool) {
        jobState.withLock { state in
            let before = budget(of: state)
            let value = change(&state)
            let after = budget(of: state)
            let threshold = noteRoom(&state, after: after)
            return (value, state.stopping || (before < threshold && after >= threshold))
        }
    }

    /// Keeps ``JobState/roomSince``: set when the budget reaches the threshold, cleared when it drops below.
    /// Returns the threshold it compared with.
    @discardableResult
    private func noteRoom(_ state: inout JobState, after budget: Int) -> Int {
        let threshold = threshold(of: state)
        if budget < threshold {
            state.roomSince = nil
        } else if state.roomSince == nil {
            state.roomSince = TriageTimeline.now()
        }
        return threshold
    }

    var inFlightKeys: [ClaimedJob.Key] { jobState.withLock { Array($0.inFlight.keys) } }

    func inFlight(onShard shard: Int) -> [ClaimedJob] {
        jobState.withLock { $0.inFlight.values.filter { $0.job.key.shard == shard }.map(\.job) }
    }

    func started(_ job: ClaimedJob) {
        let count = jobState.withLock { state in
            state.inFlight[job.key] = Held(job: job, stepStartedAt: .now)
            noteRoom(&state, after: budget(of: state))
            return state.inFlight.count
        }
        metrics.inFlight.record(count)
    }

    /// The job's task ended; `interrupted` ones are handed back by the claim loop. A job not interrupted had its
    /// result submitted (``submit(_:)``), and that write is done.
    func ended(_ job: ClaimedJob, interrupted: Bool) {
        let (count, wake) = changeJobs { state in
            state.inFlight[job.key] = nil
            if interrupted { state.interrupted.append(job) } else { state.awaitingWrite -= 1 }
            return state.inFlight.count
        }
        metrics.inFlight.record(count)
        if wake { claimWake.signal() }
    }

    func takeInterrupted() -> [ClaimedJob] {
        jobState.withLock { state in
            defer { state.interrupted = [] }
            return state.interrupted
        }
    }

    // MARK: Completions

    /// Queues a result for the completion writer and waits until it is written; returns whether it took effect
    /// (false: stale, or the write failed and the job is left to its lease). Not cancellable: a result being
    /// written is always waited for.
    func submit(_ result: JobResult) async -> Bool {
        await withCheckedContinuation { continuation in
            let (_, wake) = changeJobs { state in
                state.pending.append(Pending(result: result, continuation: continuation))
                state.awaitingWrite += 1
                if let started = state.inFlight[result.key]?.stepStartedAt {
                    state.inFlight[result.key]?.stepStartedAt = nil
                    state.meanStep = Self.moved(state.meanStep, toward: started.duration(to: .now))
                }
            }
            completionWake.signal()
            if wake { claimWake.signal() }
        }
    }

    func takePending(max: Int) -> [Pending] {
        jobState.withLock { state in
            let batch = Array(state.pending.prefix(max))
            state.pending.removeFirst(batch.count)
            return batch
        }
    }

    /// The claim loop has ended: once the queue is empty, the completion writer may stop.
    func claimingEnded() {
        jobState.withLock { $0.claimingDone = true }
        completionWake.signal()
    }

    var completionsMayStop: Bool { jobState.withLock { $0.claimingDone && $0.pending.isEmpty } }
}

extension Duration {
    /// Whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product &+ attoseconds / 1_000_000_000
    }
}
