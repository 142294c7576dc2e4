import Logging
import ServiceLifecycle
import VigilPostgres
import VigilQueue

/// Rescue and reaping, run only while this process holds the maintenance advisory lock on a connection of its
/// own; every process tries to take it each round, so a leader's crash hands the role on within a round.
struct MaintenanceService: Service {
    let runtime: WorkerRuntime

    func run() async throws {
        await cancelWhenGracefulShutdown { await loop() }
    }

    private func loop() async {
        let configuration = runtime.configuration
        var connection: PostgresConnection?
        var leading = false
        while !Task.isCancelled {
            do {
                if connection == nil { connection = try await PostgresConnection.connect(runtime.pool.configuration) }
                if !leading {
                    leading = try await QueueMaintenance.tryLead(on: connection!)
                    if leading { runtime.logger.info("leading queue maintenance") }
                }
                if leading {
                    let report = try await QueueMaintenance.runOnce(
                        on: connection!, rescueGrace: .zero, reapAfter: configuration.reapAfter,
                        vacuumAfterDeadRows: configuration.vacuumAfterDeadRows)
                    try await JobStore.pruneWatchList(on: connection!, window: configuration.monitorRecurrenceWindow)
                    if report.rescuedJobs + report.reapedWorkers > 0 {
                        runtime.logger.info(
                            "maintenance", metadata: ["rescued": "\(report.rescuedJobs)", "reaped": "\(report.reapedWorkers)"])
                    }
                }
            } catch {
                runtime.logger.warning("maintenance failed; reconnecting", metadata: ["error": "\(error)"])
                await connection?.close()
                connection = nil
                leading = false
            }
            try? await Task.sleep(for: configuration.maintenanceInterval)
        }
        await connection?.close()
    }
}
