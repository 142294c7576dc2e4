import Logging
import ServiceLifecycle
import VigilQueue

/// Extends the job leases of running jobs every `jobHeartbeatInterval`, while their shard lease is still held.
struct JobHeartbeatService: Service {
    let runtime: WorkerRuntime

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: runtime.configuration.jobHeartbeatInterval)
                let keys = runtime.inFlightKeys
                do {
                    try await runtime.jobs.extendLeases(keys, jobLease: runtime.configuration.jobLease)
                } catch {
                    runtime.logger.warning("job heartbeat failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
