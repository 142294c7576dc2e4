import VigilCore
import VigilQueue

/// A simulated cluster: a lease table with the documented compare-and-set semantics, a worker table, and
/// workers each driven by its own `ShardLeaseStateMachine`, on a manual clock.
///
/// Every write is checked as it happens:
/// - an ownership change increments the epoch by exactly one, and epochs never go down;
/// - a lease is taken through expiry (`acquire`) only when no other worker may still claim under it;
/// - a worker's claimable lease that the table no longer gives it was taken by a steal (fenced by the epoch),
///   never by expiry.
struct LeaseSimulation {
    enum State: Equatable {
        case running
        case paused
        case crashed
        case stopped
    }

    struct Row {
        var owner: WorkerID?
        var epoch: Int64
        var expiresAt: TestInstant
    }

    struct Worker {
        var machine: ShardLeaseStateMachine<TestInstant>
        var state: State
    }

    let configuration: ShardLeaseStateMachine<TestInstant>.Configuration
    var now = TestInstant.zero
    var rows: [Row]
    var heartbeats: [WorkerID: TestInstant] = [:]
    var workers: [WorkerID: Worker] = [:]
    var rng: SplitMix64
    /// Ownership changes so far (acquire, steal, release that changed a row).
    var ownershipChanges = 0
    /// Tokens taken from their holder by a steal: only these may stay claimable after the table moved on.
    var stolen: Set<Pair> = []
    var violations: [String] = []
    /// The highest epoch ever seen per shard.
    var highestEpoch: [Int64]

    struct Pair: Hashable {
        var worker: WorkerID
        var token: LeaseToken
    }

    init(shardCount: Int, leaseDuration: Duration = .seconds(30), seed: UInt64 = 1, maxStealsPerTick: Int = 1) {
        configuration = .init(shardCount: shardCount, leaseDuration: leaseDuration, maxStealsPerTick: maxStealsPerTick)
        rows = Array(repeating: Row(owner: nil, epoch: 0, expiresAt: .zero), count: shardCount)
        highestEpoch = Array(repeating: 0, count: shardCount)
        rng = SplitMix64(seed: seed)
    }

    var tickInterval: Duration { configuration.leaseDuration / 3 }

    mutating func start(_ id: WorkerID) {
        workers[id] = Worker(machine: try! ShardLeaseStateMachine(workerID: id, configuration: configuration), state: .running)
    }

    func snapshot() -> LeaseSnapshot<TestInstant> {
        LeaseSnapshot(
            now: now,
            workers: heartbeats.map { .init(id: $0.key, lastHeartbeat: $0.value) },
            leases: rows.enumerated().map { shard, row in
                .init(shard: shard, owner: row.owner, epoch: row.epoch, expiresAt: row.expiresAt)
            })
    }

    /// How the workers' steps interleave within a round.
    enum Interleaving: CaseIterable {
        /// One worker after another: snapshot, then all its actions.
        case sequential
        /// All snapshots at the same instant, then every action in a random interleaving.
        case concurrent
        /// Snapshots at random instants within the round and actions at random later instants, processed in
        /// time order: views go stale while time passes, and leases expire between a read and a write.
        case staggered
    }

    /// One round: time advances by a tick; every running worker heartbeats and reads a snapshot, and performs
    /// the actions its machine returns (each worker's own actions stay in order).
    mutating func round(_ interleaving: Interleaving = .concurrent) {
        let start = now.advanced(by: tickInterval)
        now = start
        let running = workers.filter { $0.value.state == .running }.keys.sorted()
        switch interleaving {
        case .sequential:
            for id in running {
                heartbeats[id] = now
                for action in workers[id]!.machine.tick(snapshot()) { perform(action, by: id) }
            }
        case .concurrent:
            for id in running { heartbeats[id] = now }
            let view = snapshot()
            var queues: [(WorkerID, [LeaseAction])] = []
            for id in running {
                let actions = workers[id]!.machine.tick(view)
                if !actions.isEmpty { queues.append((id, actions)) }
            }
            while !queues.isEmpty {
                let pick = Int(rng.next() % UInt64(queues.count))
                let action = queues[pick].1.removeFirst()
                perform(action, by: queues[pick].0)
                if queues[pick].1.isEmpty { queues.remove(at: pick) }
                checkBeliefs()
            }
        case .staggered:
            // Events: (time, worker, action index or nil for the snapshot); all within this tick.
            let third = tickInterval / 3
            let steps = Int64(1000)
            func offset(_ limit: Duration) -> Duration { limit * Double(rng.next() % UInt64(steps)) / Double(steps) }
            var events: [(at: TestInstant, worker: WorkerID, action: LeaseAction?)] = running.map { (start.advanced(by: offset(third)), $0, nil) }
            while !events.isEmpty {
                let next = events.indices.min { events[$0].at < events[$1].at }!
                let event = events.remove(at: next)
                now = event.at
                if let action = event.action {
                    perform(action, by: event.worker)
                } else if workers[event.worker]?.state == .running {
                    heartbeats[event.worker] = now
                    let actions = workers[event.worker]!.machine.tick(snapshot())
                    var at = now
                    let gap = third / max(1, actions.count)
                    for action in actions {
                        at = at.advanced(by: offset(gap))
                        events.append((at, event.worker, action))
                    }
                }
                checkBeliefs()
            }
        }
        checkBeliefs()
    }

    mutating func rounds(_ count: Int, _ interleaving: Interleaving = .concurrent) {
        for _ in 0..<count { round(interleaving) }
    }

    /// Runs rounds until converged; returns how many it took, or nil after `limit`.
    mutating func roundsUntilConverged(limit: Int = 50) -> Int? {
        for count in 1...limit {
            round()
            if isConverged { return count }
        }
        return nil
    }

    mutating func perform(_ action: LeaseAction, by id: WorkerID) {
        switch action {
        case .renew(let tokens):
            var renewed: [LeaseToken] = []
            for token in tokens where rows[token.shard].owner == id && rows[token.shard].epoch == token.epoch {
                rows[token.shard].expiresAt = now.advanced(by: configuration.leaseDuration)
                renewed.append(token)
            }
            workers[id]!.machine.renewed(renewed, requested: tokens, at: now)
        case .acquire(let shard, let expected):
            let row = rows[shard]
            guard row.epoch == expected, row.owner == nil || row.expiresAt <= now else { return }
            for (other, worker) in workers where other != id && worker.machine.claimableLeases(at: now).contains(where: { $0.shard == shard }) {
                violations.append("\(id) acquired shard \(shard) by expiry while \(other) could still claim under it")
            }
            take(shard, by: id)
        case .steal(let shard, let from, let expected):
            guard rows[shard].epoch == expected, rows[shard].owner == from else { return }
            stolen.insert(Pair(worker: from, token: LeaseToken(shard: shard, epoch: expected)))
            take(shard, by: id)
        case .release(let shard, let expected):
            if rows[shard].epoch == expected, rows[shard].owner == id {
                changeOwner(shard, to: nil)
            }
            workers[id]!.machine.released(shard)
        case .lost:
            break
        }
    }

    private mutating func take(_ shard: Int, by id: WorkerID) {
        changeOwner(shard, to: id)
        rows[shard].expiresAt = now.advanced(by: configuration.leaseDuration)
        workers[id]!.machine.acquired(LeaseToken(shard: shard, epoch: rows[shard].epoch), at: now)
    }

    private mutating func changeOwner(_ shard: Int, to owner: WorkerID?) {
        let before = rows[shard]
        if before.owner == owner { violations.append("shard \(shard): ownership 'change' to the same owner") }
        rows[shard].owner = owner
        rows[shard].epoch += 1
        if rows[shard].epoch != highestEpoch[shard] + 1 {
            violations.append("shard \(shard): epoch went from \(highestEpoch[shard]) to \(rows[shard].epoch)")
        }
        highestEpoch[shard] = rows[shard].epoch
        ownershipChanges += 1
    }

    /// Claimable leases that the table no longer gives their holder must have been stolen.
    mutating func checkBeliefs() {
        for (id, worker) in workers {
            for token in worker.machine.claimableLeases(at: now) {
                let row = rows[token.shard]
                if token.epoch > row.epoch { violations.append("\(id) believes in a future epoch for shard \(token.shard)") }
                if (row.owner != id || row.epoch != token.epoch), !stolen.contains(Pair(worker: id, token: token)) {
                    violations.append("\(id) may claim under shard \(token.shard)@\(token.epoch) that was not stolen from it")
                }
            }
        }
    }

    // MARK: Membership

    mutating func crash(_ id: WorkerID) { workers[id]!.state = .crashed }

    mutating func pause(_ id: WorkerID) { workers[id]!.state = .paused }

    mutating func resume(_ id: WorkerID) { workers[id]!.state = .running }

    /// Graceful stop: release every lease, then deregister.
    mutating func stop(_ id: WorkerID) {
        for action in workers[id]!.machine.shutdown() { perform(action, by: id) }
        workers[id]!.state = .stopped
        heartbeats[id] = nil
    }

    // MARK: Observations

    var runningWorkers: [WorkerID] { workers.filter { $0.value.state == .running }.keys.sorted() }

    /// Leases per running worker, by the table (unexpired only).
    var counts: [WorkerID: Int] {
        var counts = Dictionary(uniqueKeysWithValues: runningWorkers.map { ($0, 0) })
        for row in rows {
            if let owner = row.owner, row.expiresAt > now, counts[owner] != nil { counts[owner]! += 1 }
        }
        return counts
    }

    /// Every shard held, unexpired, by a running worker; counts within one of each other; and every running
    /// worker's own view equal to the table.
    var isConverged: Bool {
        let counts = self.counts
        guard counts.values.reduce(0, +) == rows.count, let low = counts.values.min(), let high = counts.values.max(),
            high - low <= 1
        else { return false }
        for id in runningWorkers {
            let table = rows.enumerated().filter { $0.element.owner == id }.map { LeaseToken(shard: $0.offset, epoch: $0.element.epoch) }
            guard workers[id]!.machine.heldLeases == table else { return false }
        }
        return true
    }
}
