import Logging
import ServiceLifecycle
import VigilPostgres
import VigilQueue

/// The claim loop: claims jobs on claimable leases while in-flight slots are free, runs each in a child task,
/// and sleeps until a notification, a free slot, a new lease or the poll interval. It waits and claims on its own
/// connection's thread (``PostgresConnection/claimWhenReady(for:from:)``), and comes back to its task only to start
/// the jobs it claimed; a failed claim closes that connection and the next turn opens another.
///
/// Graceful shutdown, two phases: stop claiming and let in-flight jobs run up to `drainTimeout`; then cancel
/// the rest and hand them back at once (state ready, attempt not counted).
struct ClaimService: Service {
    let runtime: WorkerRuntime

    func run() async throws {
        let configuration = runtime.configuration
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                var failures = 0
                var next = Position()
                var connection: PostgresConnection?
                while !runtime.isStopping {
                    do {
                        if connection == nil { connection = try await runtime.jobs.claimConnection() }
                        // On the connection's thread until it has claimed jobs (or the worker stops).
                        guard let batch = try await connection?.claimWhenReady(for: runtime, from: next) else { break }
                        failures = 0
                        next = batch.next
                        for job in batch.jobs { group.addTask { await work(job, claim: batch.stamp) } }
                    } catch {
                        failures += 1
                        runtime.logger.warning("claim failed", metadata: ["error": "\(error)"])
                        await connection?.close()
                        connection = nil
                        next = Position(rotation: next.rotation, waitFirst: false)
                        try? await Task.sleep(for: .milliseconds(min(2000, 50 << min(failures, 6))))
                    }
                }
                await connection?.close()
                // The worker row says `draining` while in-flight jobs finish (the lease loop keeps it so).
                do {
                    try await runtime.leases.markDraining()
                } catch {
                    runtime.logger.warning("marking the worker draining failed", metadata: ["error": "\(error)"])
                }
                // Phase 1: in-flight jobs may finish.
                let deadline = runtime.clock.now.advanced(by: configuration.drainTimeout)
                while runtime.inFlightCount > 0, runtime.clock.now < deadline {
                    await runtime.claimWake.wait(timeout: min(.milliseconds(100), runtime.clock.now.duration(to: deadline)))
                }
                // Phase 2: interrupt the rest; they end as interrupted.
                group.cancelAll()
            }
            let interrupted = runtime.takeInterrupted()
            if !interrupted.isEmpty {
                do {
                    let count = try await runtime.jobs.handBack(interrupted.map { ($0.key, $0.attempt) })
                    runtime.logger.info("handed unfinished jobs back", metadata: ["count": "\(count)"])
                } catch {
                    runtime.logger.warning("handing jobs back failed; their job leases will expire", metadata: ["error": "\(error)"])
                }
            }
            runtime.claimingEnded()
            let statistics = runtime.currentStatistics
            runtime.logger.info(
                "claim loop stopped",
                metadata: [
                    "claims": "\(statistics.claims)", "claimed": "\(statistics.claimed)", "applied": "\(statistics.applied)",
                    "stale": "\(statistics.stale)", "claim_p50_ms": "\(statistics.claimQuantile(0.5))",
                    "claim_p99_ms": "\(statistics.claimQuantile(0.99))",
                ])
        } onGracefulShutdown: {
            runtime.beginStopping()
        }
    }

    /// Where the claim loop goes on from after a batch.
    struct Position: Sendable {
        /// Each claim starts at another of the claimable shards, so no shard waits behind the others' backlogs.
        var rotation = 0
        /// Whether to wait for a wake-up before claiming again: after a batch smaller than its limit, the shards had no
        /// more due jobs (a batch that filled its limit claims again at once).
        var waitFirst = false
    }

    /// Jobs claimed in one statement.
    struct Batch: Sendable {
        var jobs: [ClaimedJob]
        var stamp: ClaimStamp
        var next: Position
    }

    /// When the claim that took a job was ready, sent and answered (wall clock, µs since 1970).
    struct ClaimStamp: Sendable {
        var readyAt: Int64
        /// The latest notification read before the claim was sent.
        var notifiedAt: Int64?
        var sentAt: Int64
        var claimedAt: Int64
    }

    /// Runs one job: the step, then its result through the completion writer; a verdict carries the job's
    /// ``TriageTimeline``.
    private func work(_ job: ClaimedJob, claim: ClaimStamp) async {
        let input = TriageInput(alertID: job.key.alertID, shard: job.key.shard, attempt: job.attempt, alert: job.alert)
        var result: TriageResult
        let stepStartedAt = TriageTimeline.now()
        let started = runtime.clock.now
        do {
            result = try await runtime.step.triage(input)
            runtime.triageTimer.recordNanoseconds(started.duration(to: runtime.clock.now).nanoseconds)
        } catch is CancellationError {
            runtime.ended(job, interrupted: true)
            return
        } catch {
            result = .notDone(.fail(JobError(code: .internal, message: "the triage step threw an error")))
        }
        let stepEndedAt = TriageTimeline.now()
        if case .complete = result.outcome, result.verdict == nil {
            result = .notDone(.fail(JobError(code: .internal, message: "the triage step completed without a verdict")))
        }
        var policy = runtime.configuration.retryPolicy
        policy.maxAttempts = job.maxAttempts
        var generator = SystemRandomNumberGenerator()
        let disposition = policy.disposition(for: result.outcome, attempt: job.attempt, previousDelay: job.previousDelay, using: &generator)
        let placeholder = VerdictRecord(decision: .escalate, rationale: "", decidedBy: "none")
        var verdict = result.verdict ?? placeholder
        if result.verdict != nil {
            let now = TriageTimeline.now()
            verdict.timeline = TriageTimeline(
                claimReadyAt: claim.readyAt, notifiedAt: claim.notifiedAt.flatMap { $0 <= claim.sentAt ? $0 : nil }, claimSentAt: claim.sentAt, claimedAt: claim.claimedAt, stepStartedAt: stepStartedAt,
                stepEndedAt: stepEndedAt, submittedAt: now)
        }
        let applied = await runtime.submit(JobResult(job: job, disposition: disposition, verdict: verdict))
        runtime.recordResult(applied: applied)
        if !applied { runtime.logger.debug("stale result discarded", metadata: ["job": "\(job)"]) }
        runtime.ended(job, interrupted: false)
    }
}

extension PostgresConnection {
    /// The claim loop's turn on its own connection, isolated to it: waits until there is room and a claimable lease
    /// (a notification, a free slot, a new lease or the poll interval wakes it), claims in batches (a quarter of a
    /// batch of room at least: the runtime wakes the loop then), marks the jobs started and returns them. The wait
    /// resumes on this connection's thread and the claim is sent from it: a notification's wake-up goes straight to
    /// the thread that sends the claim, and the claim's answer needs no hop back before the next step.
    ///
    /// - Returns: nil when the worker is stopping.
    /// - Throws: the claim's error (the caller replaces the connection).
    func claimWhenReady(for runtime: WorkerRuntime, from position: ClaimService.Position) async throws -> ClaimService.Batch? {
        let configuration = runtime.configuration
        var rotation = position.rotation
        if position.waitFirst { await runtime.claimWake.wait(timeout: configuration.pollInterval) }
        while !runtime.isStopping {
            let (free, roomSince, threshold) = runtime.claimRoom
            var leases = runtime.claimableLeases()
            if !leases.isEmpty {
                rotation = (rotation + 1) % leases.count
                leases = Array(leases[rotation...] + leases[..<rotation])
            }
            if free >= threshold, !leases.isEmpty {
                let limit = min(free, configuration.claimBatch)
                let sent = runtime.clock.now
                let sentAt = TriageTimeline.now()
                let claimed = try await runtime.jobs.claim(leases: leases, limit: limit, jobLease: configuration.jobLease, on: self)
                let stamp = ClaimService.ClaimStamp(
                    readyAt: roomSince ?? sentAt, notifiedAt: runtime.lastNotificationAt, sentAt: sentAt, claimedAt: TriageTimeline.now())
                runtime.recordClaim(jobs: claimed.count, took: sent.duration(to: runtime.clock.now))
                if !claimed.isEmpty {
                    for job in claimed { runtime.started(job) }
                    return ClaimService.Batch(jobs: claimed, stamp: stamp, next: .init(rotation: rotation, waitFirst: claimed.count < limit))
                }
            }
            await runtime.claimWake.wait(timeout: configuration.pollInterval)
        }
        return nil
    }
}
