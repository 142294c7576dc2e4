import Logging
import ServiceLifecycle
import VigilPostgres
import VigilQueue

/// LISTENs on `vigil_jobs` and wakes the claim loop when a shard it may claim from has new jobs, and once when
/// it starts listening and after every reconnection (notifications sent before were missed). LISTENs on
/// `vigil_leases` too, and wakes the lease loop when another worker joins or releases a lease, so that leases move at
/// once rather than at the next lease tick; and once when it starts listening, for a worker that joined while this
/// one's first tick had already run but its LISTEN was not yet in place.
///
/// A notification wakes the claim loop from the listener's own thread, as soon as it is read: going through the
/// event stream first would add a task hop (scheduling delay on a busy machine) to the commit-to-claim path.
struct NotificationService: Service {
    let runtime: WorkerRuntime

    func run() async throws {
        let runtime = self.runtime
        let listener = PostgresListener(
            configuration: runtime.pool.configuration, channels: [JobStore.channel, ShardLeaseStore.channel], logger: runtime.logger,
            onNotification: { notification in Self.wake(runtime, for: notification) })
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await listener.run() }
                for await event in listener.events {
                    // Notifications have woken the loops already (onNotification); only (re)connections remain.
                    if event == .listening || event == .reconnected {
                        runtime.claimWake.signal()
                        runtime.leaseWake.signal()
                    }
                }
            }
        }
    }

    /// Wakes the claim loop when `notification` names a shard it may claim from (or names none it can read); wakes
    /// the lease loop on another worker's lease announcement.
    static func wake(_ runtime: WorkerRuntime, for notification: PostgresNotification) {
        if notification.channel == ShardLeaseStore.channel {
            if notification.payload != runtime.workerID.rawValue { runtime.leaseWake.signal() }
            return
        }
        guard let shard = Int(notification.payload) else {
            runtime.noteNotification()
            runtime.claimWake.signal()
            return
        }
        if runtime.isClaimable(shard: shard) {
            runtime.noteNotification()
            runtime.claimWake.signal()
        }
    }
}
