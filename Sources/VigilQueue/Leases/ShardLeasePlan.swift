/// The cluster-wide lease assignment one snapshot implies, computed the same way by every worker.
///
/// Every worker plans for the whole cluster from its snapshot and carries out only its own part, so workers
/// that read the same snapshot never compete for the same lease, and workers that read different ones are
/// kept apart by the compare-and-set on the epoch.
///
/// Rules:
/// 1. **Live workers** are those whose last heartbeat is less than `workerTimeout` before `now`, plus the
///    planning worker itself.
/// 2. **Held leases**: a lease is held by its owner when the owner is live and the lease has not expired
///    (`expiresAt > now`). The planning worker's own expired leases also count as its own (it renews them;
///    nobody else has taken them, or the epoch would have changed). Every other lease is **free**.
/// 3. **Targets**: with N live workers, each gets `S / N`; the `S % N` extra shards go to the workers holding
///    the most now (ties: lower id), so a balanced cluster is already at its targets and never flaps.
/// 4. A worker above its target **releases** the excess, its highest-numbered shards first.
/// 5. Workers below target (in id order) **take free leases**, lowest shard first, up to their deficit:
///    `acquire` when unowned or expired, `steal` when the owner is not live.
/// 6. A worker still below target then **steals** up to `maxStealsPerTick` leases from the live worker
///    holding the most above its own target (ties: lower id), taking that worker's highest-numbered shard —
///    the one that worker releases in the same round, so the two moves race for one shard and only one wins.
public struct ShardLeasePlan<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// The live workers, in id order.
    public let liveWorkers: [WorkerID]
    /// Each live worker's target number of leases; they add up to S.
    public let targets: [WorkerID: Int]
    /// Each live worker's held leases, in shard order.
    public let held: [WorkerID: [LeaseToken]]
    /// The lease table, one row per shard 0 ..< S.
    public let rows: [LeaseSnapshot<Instant>.Lease]
    /// Each live worker's actions this round (no renewals: those are the worker's own business).
    public let moves: [WorkerID: [LeaseAction]]

    /// Plans from `snapshot`.
    ///
    /// - Parameters:
    ///   - planner: the worker planning; always counted live.
    ///   - shardCount: S.
    ///   - workerTimeout: how long after its last heartbeat a worker still counts as live.
    ///   - maxStealsPerTick: how many leases one worker steals per round at most.
    public init(
        snapshot: LeaseSnapshot<Instant>, planner: WorkerID, shardCount: Int, workerTimeout: Duration, maxStealsPerTick: Int = 1
    ) {
        let now = snapshot.now
        var live = Set(snapshot.workers.filter { now < $0.lastHeartbeat.advanced(by: workerTimeout) }.map(\.id))
        live.insert(planner)
        liveWorkers = live.sorted()

        var rows = (0..<shardCount).map { LeaseSnapshot<Instant>.Lease(shard: $0, owner: nil, epoch: 0, expiresAt: now) }
        var seen = [Bool](repeating: false, count: shardCount)
        for lease in snapshot.leases where lease.shard >= 0 && lease.shard < shardCount {
            if !seen[lease.shard] || lease.epoch > rows[lease.shard].epoch { rows[lease.shard] = lease }
            seen[lease.shard] = true
        }
        self.rows = rows

        var held: [WorkerID: [LeaseToken]] = Dictionary(uniqueKeysWithValues: liveWorkers.map { ($0, []) })
        var free: [Int] = []
        for row in rows {
            if let owner = row.owner, live.contains(owner), row.expiresAt > now || owner == planner {
                held[owner, default: []].append(LeaseToken(shard: row.shard, epoch: row.epoch))
            } else {
                free.append(row.shard)
            }
        }
        self.held = held

        // Targets: S / N each, the remainder to those holding most.
        let count = liveWorkers.count
        var targets: [WorkerID: Int] = [:]
        let byHolding = liveWorkers.sorted { (held[$0]!.count, $1) > (held[$1]!.count, $0) }
        for (rank, worker) in byHolding.enumerated() {
            targets[worker] = shardCount / count + (rank < shardCount % count ? 1 : 0)
        }
        self.targets = targets

        var moves: [WorkerID: [LeaseAction]] = [:]
        // Releases: the excess, highest shards first.
        var surplus: [WorkerID: [LeaseToken]] = [:]
        for worker in liveWorkers {
            let excess = held[worker]!.count - targets[worker]!
            guard excess > 0 else { continue }
            let released = Array(held[worker]!.suffix(excess).reversed())
            surplus[worker] = released
            moves[worker, default: []] += released.map { .release(shard: $0.shard, expectedEpoch: $0.epoch) }
        }
        // Free leases to workers below target, in id order.
        var deficits = Dictionary(uniqueKeysWithValues: liveWorkers.map { ($0, max(0, targets[$0]! - held[$0]!.count)) })
        var freeIndex = 0
        for worker in liveWorkers where deficits[worker]! > 0 {
            while deficits[worker]! > 0, freeIndex < free.count {
                let row = rows[free[freeIndex]]
                freeIndex += 1
                let action: LeaseAction =
                    if let owner = row.owner, row.expiresAt > now {
                        .steal(shard: row.shard, from: owner, expectedEpoch: row.epoch)
                    } else {
                        .acquire(shard: row.shard, expectedEpoch: row.epoch)
                    }
                moves[worker, default: []].append(action)
                deficits[worker]! -= 1
            }
        }
        // Steals from the most loaded workers above target, one lease per thief per round by default.
        var remaining = held.mapValues(\.count)
        for worker in liveWorkers {
            var steals = 0
            while deficits[worker]! > 0, steals < maxStealsPerTick {
                let victims = surplus.filter { !$0.value.isEmpty }.keys.sorted {
                    (remaining[$0]!, $1) > (remaining[$1]!, $0)
                }
                guard let victim = victims.first else { break }
                let token = surplus[victim]!.removeFirst()
                remaining[victim]! -= 1
                moves[worker, default: []].append(.steal(shard: token.shard, from: victim, expectedEpoch: token.epoch))
                deficits[worker]! -= 1
                steals += 1
            }
        }
        self.moves = moves
    }
}
