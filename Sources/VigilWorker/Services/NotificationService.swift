import Logging
import ServiceLifecycle
import VigilPostgres
import VigilQueue

/// LISTENs on `vigil_jobs` and wakes the claim loop when a shard it may claim from has new jobs, and once after
/// every reconnection (notifications sent meanwhile were missed).
struct NotificationService: Service {
    let runtime: WorkerRuntime

    func run() async throws {
        let listener = PostgresListener(configuration: runtime.pool.configuration, channels: [JobStore.channel], logger: runtime.logger)
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await listener.run() }
                for await event in listener.events {
                    switch event {
                    case .reconnected:
                        runtime.claimWake.signal()
                    case .notification(let notification):
                        guard let shard = Int(notification.payload) else {
                            runtime.claimWake.signal()
                            continue
                        }
                        if runtime.claimableLeases().contains(where: { $0.shard == shard }) { runtime.claimWake.signal() }
                    }
                }
            }
        }
    }
}
