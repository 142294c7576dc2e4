import Logging
import ServiceLifecycle
import VigilQueue

/// The lease loop: every `leaseTickInterval`, heartbeat and snapshot in one round trip, let the state machine
/// plan, and perform its actions as compare-and-sets. Another worker's join or release (``WorkerRuntime/leaseWake``)
/// brings the next tick forward, to no less than ``minimumSpacing`` after the last one: a burst of releases is
/// taken up in a few ticks, not one tick per release. On graceful shutdown (after the claim loop has handed
/// its jobs back) it releases every lease and removes the worker's row.
struct LeaseService: Service {
    let runtime: WorkerRuntime

    /// The least time between two ticks when announcements bring them forward.
    static let minimumSpacing = Duration.milliseconds(100)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await tick()
                } catch {
                    runtime.logger.warning("lease tick failed", metadata: ["error": "\(error)"])
                }
                let ticked = runtime.clock.now
                await runtime.leaseWake.wait(timeout: runtime.configuration.leaseTickInterval)
                let spacing = Self.minimumSpacing - ticked.duration(to: runtime.clock.now)
                if spacing > .zero { try? await Task.sleep(for: spacing) }
            }
        }
        await shutdown()
    }

    private func tick() async throws {
        let store = runtime.leases
        let duration = runtime.configuration.leaseDuration
        let sent = runtime.clock.now
        let snapshot = try await store.heartbeatAndSnapshot(host: runtime.host, pid: runtime.pid, draining: runtime.isStopping)
        let estimate = DatabaseTimeEstimate(databaseNow: snapshot.now, sent: sent, received: runtime.clock.now)
        runtime.setEstimate(estimate)
        let actions = runtime.withLeaseMachine { $0.tick(snapshot) }

        // Renewals first: releases may wait for in-flight jobs.
        for case .renew(let tokens) in actions {
            let sentAt = runtime.clock.now
            let renewed = try await store.renew(tokens, duration: duration)
            let lost = runtime.withLeaseMachine { $0.renewed(renewed, requested: tokens, at: estimate.earliest(at: sentAt)) }
            if !lost.isEmpty { runtime.logger.info("shard leases lost", metadata: ["leases": "\(lost)"]) }
            runtime.metrics.leaseMoved("lost", count: lost.count)
        }
        for action in actions {
            switch action {
            case .renew:
                continue
            case .lost(let tokens):
                runtime.metrics.leaseMoved("lost", count: tokens.count)
                runtime.logger.info("shard leases taken by another worker", metadata: ["leases": "\(tokens)"])
            case .release(let shard, let epoch):
                try await release(shard: shard, epoch: epoch, wait: runtime.configuration.leaseTickInterval / 2)
            case .acquire(let shard, let epoch):
                try await take(shard: shard, epoch: epoch, from: nil, estimate: estimate)
            case .steal(let shard, let owner, let epoch):
                try await take(shard: shard, epoch: epoch, from: owner, estimate: estimate)
            }
        }
        // Jobs left running by a crashed or paused worker on our shards: ready them for our claims.
        let rescued = try await runtime.jobs.readyExpired(leases: runtime.claimableLeases())
        runtime.metrics.leasesHeld.record(runtime.claimableLeases().count)
        if rescued > 0 {
            runtime.metrics.rescued.increment(by: rescued)
            runtime.logger.info("took over expired jobs", metadata: ["count": "\(rescued)"])
            runtime.claimWake.signal()
        }
    }

    private func take(shard: Int, epoch: Int64, from owner: WorkerID?, estimate: DatabaseTimeEstimate<ContinuousClock.Instant>) async throws {
        let sentAt = runtime.clock.now
        guard let token = try await runtime.leases.take(
            shard: shard, expectedEpoch: epoch, from: owner, duration: runtime.configuration.leaseDuration)
        else { return }
        runtime.withLeaseMachine { $0.acquired(token, at: estimate.earliest(at: sentAt)) }
        runtime.metrics.leaseMoved(owner == nil ? "acquired" : "stolen")
        // The previous owner's running jobs can no longer complete (the fence refuses their epoch): run them here.
        let orphaned = try await runtime.jobs.readyExpired(leases: [token])
        if orphaned > 0 { runtime.metrics.rescued.increment(by: orphaned) }
        runtime.logger.debug(
            "shard lease taken", metadata: ["lease": "\(token)", "from": "\(owner?.rawValue ?? "-")", "orphaned_jobs": "\(orphaned)"])
        runtime.claimWake.signal()
    }

    /// Releases one lease: no new claims on it (the machine already stopped them), in-flight jobs on the shard
    /// get up to `wait` to finish, the rest are handed back, then the compare-and-set.
    private func release(shard: Int, epoch: Int64, wait: Duration) async throws {
        let deadline = runtime.clock.now.advanced(by: wait)
        while !runtime.inFlight(onShard: shard).isEmpty, runtime.clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let left = runtime.inFlight(onShard: shard)
        if !left.isEmpty { try await runtime.jobs.handBack(left.map { ($0.key, $0.attempt) }) }
        try await runtime.leases.release(shard: shard, expectedEpoch: epoch)
        runtime.withLeaseMachine { $0.released(shard) }
        runtime.metrics.leaseMoved("released")
    }

    private func shutdown() async {
        let releases = runtime.withLeaseMachine { $0.shutdown() }
        for case .release(let shard, let epoch) in releases {
            do {
                try await runtime.leases.release(shard: shard, expectedEpoch: epoch)
            } catch {
                runtime.logger.warning("releasing a shard lease failed; it will expire", metadata: ["shard": "\(shard)", "error": "\(error)"])
            }
        }
        do {
            try await runtime.leases.deregister()
        } catch {
            runtime.logger.warning("removing the worker row failed; it will be reaped", metadata: ["error": "\(error)"])
        }
        runtime.logger.info("shard leases released", metadata: ["count": "\(releases.count)"])
    }
}
