import Logging
import ServiceLifecycle
import VigilPostgres
import VigilQueue

/// The claim loop: claims jobs on claimable leases while in-flight slots are free, runs each in a child task,
/// and sleeps until a notification, a free slot, a new lease or the poll interval.
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
                var rotation = 0
                var connection: PostgresConnection?
                while !runtime.isStopping {
                    let (free, roomSince, threshold) = runtime.claimRoom
                    var leases = runtime.claimableLeases()
                    if !leases.isEmpty {
                        // Start each claim at another shard, so no shard waits behind the others' backlogs.
                        rotation = (rotation + 1) % leases.count
                        leases = Array(leases[rotation...] + leases[..<rotation])
                    }
                    // Claim in batches: wait for a quarter of a batch to come free (the runtime wakes the loop then).
                    if free >= threshold, !leases.isEmpty {
                        let limit = min(free, configuration.claimBatch)
                        do {
                            if connection == nil { connection = try await runtime.jobs.claimConnection() }
                            let sent = runtime.clock.now
                            let sentAt = TriageTimeline.now()
                            let claimed = try await runtime.jobs.claim(
                                leases: leases, limit: limit, jobLease: configuration.jobLease, on: connection)
                            let stamp = ClaimStamp(
                                readyAt: roomSince ?? sentAt, notifiedAt: runtime.lastNotificationAt, sentAt: sentAt, claimedAt: TriageTimeline.now())
                            runtime.recordClaim(jobs: claimed.count, took: sent.duration(to: runtime.clock.now))
                            failures = 0
                            for job in claimed {
                                runtime.started(job)
                                group.addTask { await work(job, claim: stamp) }
                            }
                            if claimed.count == limit { continue }
                        } catch {
                            failures += 1
                            runtime.logger.warning("claim failed", metadata: ["error": "\(error)"])
                            await connection?.close()
                            connection = nil
                            try? await Task.sleep(for: .milliseconds(min(2000, 50 << min(failures, 6))))
                            continue
                        }
                    }
                    await runtime.claimWake.wait(timeout: configuration.pollInterval)
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
