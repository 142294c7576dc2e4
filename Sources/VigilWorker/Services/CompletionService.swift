import Logging
import ServiceLifecycle
import VigilPostgres
import VigilQueue

/// The completion writer: takes the results job tasks queue and writes them in batches (group commit: one
/// fenced statement per kind per batch), then tells each job whether its result took effect.
///
/// It writes on a connection of its own (``JobStore/writerConnection()``: the completion's plans are made once there,
/// and no write waits for a pooled connection), opened when the first batch comes and again after a failed write.
///
/// It keeps writing during shutdown's drain, and stops once the claim loop has ended and the queue is empty.
struct CompletionService: Service {
    let runtime: WorkerRuntime

    func run() async throws {
        var connection: PostgresConnection?
        while true {
            let batch = runtime.takePending(max: runtime.configuration.completionBatch)
            if batch.isEmpty {
                if runtime.completionsMayStop {
                    await connection?.close()
                    // Returning before the group asks would count as an unexpected end: wait for our turn.
                    try? await gracefulShutdown()
                    return
                }
                await runtime.completionWake.wait(timeout: .milliseconds(200))
                continue
            }
            var applied: Set<ClaimedJob.Key> = []
            do {
                if connection == nil { connection = try await runtime.jobs.writerConnection() }
                let results = Self.stamped(batch.map(\.result), at: TriageTimeline.now())
                let report = try await runtime.jobs.finish(results, on: connection)
                applied = report.applied
                runtime.metrics.record(batch: results, report: report)
                // Built only when logged: a line per verdict is most of this loop's cost.
                if runtime.logger.logLevel <= .debug {
                    for (key, decision) in report.writtenDecisions {
                        let metadata: Logger.Metadata = [
                            "alert_id": "\(key.alertID.postgresText)", "shard": "\(key.shard)", "decision": "\(decision.rawValue)",
                        ]
                        runtime.logger.debug("verdict written", metadata: metadata)
                    }
                }
            } catch {
                // Nothing of a failed statement took effect; the jobs' leases expire and they run again. The connection
                // may be broken or inside a failed transaction: the next batch opens another.
                runtime.logger.warning("writing results failed", metadata: ["count": "\(batch.count)", "error": "\(error)"])
                await connection?.close()
                connection = nil
            }
            for item in batch { item.continuation.resume(returning: applied.contains(item.result.key)) }
        }
    }

    /// The results with the write's start and the batch size added to each verdict's ``TriageTimeline`` (verdicts
    /// without one are left as they are).
    static func stamped(_ results: [JobResult], at now: Int64) -> [JobResult] {
        results.map { result in
            guard var timeline = result.verdict.timeline else { return result }
            timeline.writeStartedAt = now
            timeline.writeBatch = results.count
            var result = result
            result.verdict.timeline = timeline
            return result
        }
    }
}
