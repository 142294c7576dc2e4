import Testing
import VigilQueue

typealias Snapshot = LeaseSnapshot<TestInstant>
typealias Machine = ShardLeaseStateMachine<TestInstant>

/// Hand-made snapshots and the exact actions they must produce.
@Suite("Shard leases: planning and the state machine")
struct ShardLeaseStateMachineTests {
    static let now = TestInstant.seconds(1000)
    static let live = TestInstant.seconds(995)
    static let stale = TestInstant.seconds(900)
    static let valid = TestInstant.seconds(1020)
    static let expired = TestInstant.seconds(990)

    static func machine(_ id: WorkerID = "a", shards: Int = 4) -> Machine {
        try! Machine(workerID: id, configuration: .init(shardCount: shards, leaseDuration: .seconds(30)))
    }

    static func lease(_ shard: Int, _ owner: WorkerID?, epoch: Int64 = 1, expires: TestInstant = valid) -> Snapshot.Lease {
        .init(shard: shard, owner: owner, epoch: epoch, expiresAt: expires)
    }

    static func snapshot(workers: [(WorkerID, TestInstant)], leases: [Snapshot.Lease]) -> Snapshot {
        Snapshot(now: now, workers: workers.map { .init(id: $0.0, lastHeartbeat: $0.1) }, leases: leases)
    }

    @Test("a lone worker takes every lease, creating missing rows at epoch 0")
    func loneWorker() {
        var machine = Self.machine()
        let actions = machine.tick(Self.snapshot(workers: [("a", Self.live)], leases: []))
        #expect(actions == (0..<4).map { .acquire(shard: $0, expectedEpoch: 0) })
    }

    @Test("the planner counts itself live even before its first heartbeat row")
    func selfAlwaysLive() {
        var machine = Self.machine("b")
        let snapshot = Self.snapshot(workers: [("a", Self.live)], leases: (0..<4).map { Self.lease($0, "a") })
        let actions = machine.tick(snapshot)
        // Two each: b steals one (a's highest) this round.
        #expect(actions == [.steal(shard: 3, from: "a", expectedEpoch: 1)])
        #expect(machine.lastPlan?.targets == ["a": 2, "b": 2])
        #expect(machine.lastPlan?.moves["a"] == [.release(shard: 3, expectedEpoch: 1), .release(shard: 2, expectedEpoch: 1)])
    }

    @Test("expired and unowned leases are acquired, dead owners' unexpired ones stolen, live ones left alone")
    func freeLeases() {
        var machine = Self.machine("a", shards: 6)
        let snapshot = Self.snapshot(
            workers: [("a", Self.live), ("b", Self.live), ("dead", Self.stale)],
            leases: [
                Self.lease(0, "b", epoch: 4), Self.lease(1, "b", epoch: 2, expires: Self.expired), Self.lease(2, nil, epoch: 7),
                Self.lease(3, "dead", epoch: 3), Self.lease(4, "b", epoch: 1), Self.lease(5, "b", epoch: 9),
            ])
        let plan = ShardLeasePlan(snapshot: snapshot, planner: "a", shardCount: 6, workerTimeout: .seconds(30))
        #expect(plan.liveWorkers == ["a", "b"])
        #expect(plan.held["b"]?.map(\.shard) == [0, 4, 5])
        #expect(plan.targets == ["a": 3, "b": 3])
        let actions = machine.tick(snapshot)
        #expect(actions == [
            .acquire(shard: 1, expectedEpoch: 2), .acquire(shard: 2, expectedEpoch: 7), .steal(shard: 3, from: "dead", expectedEpoch: 3),
        ])
    }

    @Test("the remainder of S / N goes to those holding most, so a balanced cluster is at its targets")
    func remainderToHolders() {
        // S = 7, N = 3: 3, 2, 2. c holds three, so c keeps three.
        let snapshot = Self.snapshot(
            workers: [("a", Self.live), ("b", Self.live), ("c", Self.live)],
            leases: [Self.lease(0, "a"), Self.lease(1, "a"), Self.lease(2, "b"), Self.lease(3, "b"), Self.lease(4, "c"),
                Self.lease(5, "c"), Self.lease(6, "c")])
        let plan = ShardLeasePlan(snapshot: snapshot, planner: "a", shardCount: 7, workerTimeout: .seconds(30))
        #expect(plan.targets == ["a": 2, "b": 2, "c": 3])
        #expect(plan.moves.isEmpty)
        // Ties go to the lower id: from nothing, a gets the extra one.
        let empty = ShardLeasePlan(snapshot: Self.snapshot(workers: [("b", Self.live), ("c", Self.live)], leases: []), planner: "a",
            shardCount: 7, workerTimeout: .seconds(30))
        #expect(empty.targets == ["a": 3, "b": 2, "c": 2])
        #expect(empty.moves["a"]?.count == 3 && empty.moves["b"]?.count == 2 && empty.moves["c"]?.count == 2)
    }

    @Test("more workers than shards: some hold none, nobody flaps")
    func moreWorkersThanShards() {
        let snapshot = Self.snapshot(
            workers: [("a", Self.live), ("b", Self.live), ("c", Self.live), ("d", Self.live)],
            leases: [Self.lease(0, "c"), Self.lease(1, "d")])
        let plan = ShardLeasePlan(snapshot: snapshot, planner: "a", shardCount: 2, workerTimeout: .seconds(30))
        #expect(plan.targets == ["a": 0, "b": 0, "c": 1, "d": 1])
        #expect(plan.moves.isEmpty)
    }

    @Test("a worker below its share steals one lease per round from the worker holding most above its share")
    func stealsOneFromTheMostLoaded() {
        // S = 12: a 0, b 7, c 5 → targets 4 each. a steals b's highest; b releases its excess 3 highest.
        var machine = Self.machine("a", shards: 12)
        let leases = (0..<7).map { Self.lease($0, "b") } + (7..<12).map { Self.lease($0, "c") }
        let actions = machine.tick(Self.snapshot(workers: [("a", Self.live), ("b", Self.live), ("c", Self.live)], leases: leases))
        #expect(actions == [.steal(shard: 6, from: "b", expectedEpoch: 1)])
        #expect(machine.lastPlan?.moves["b"] == [
            .release(shard: 6, expectedEpoch: 1), .release(shard: 5, expectedEpoch: 1), .release(shard: 4, expectedEpoch: 1),
        ])
        #expect(machine.lastPlan?.moves["c"] == [.release(shard: 11, expectedEpoch: 1)])
        // With more steals per round, the victim is re-chosen after each: b 7 → 6 → 5 ties c (lower id wins) → 4, c next.
        var greedy = try! Machine(workerID: "a", configuration: .init(shardCount: 12, maxStealsPerTick: 4))
        let greedyActions = greedy.tick(Self.snapshot(workers: [("a", Self.live), ("b", Self.live), ("c", Self.live)], leases: leases))
        #expect(greedyActions == [
            .steal(shard: 6, from: "b", expectedEpoch: 1), .steal(shard: 5, from: "b", expectedEpoch: 1),
            .steal(shard: 4, from: "b", expectedEpoch: 1), .steal(shard: 11, from: "c", expectedEpoch: 1),
        ])
    }

    @Test("a worker above its share releases its highest shards and renews the rest")
    func releasesExcess() {
        var machine = Self.machine("a", shards: 4)
        for shard in 0..<4 { machine.acquired(LeaseToken(shard: shard, epoch: 1), at: .seconds(990)) }
        let actions = machine.tick(Self.snapshot(workers: [("a", Self.live), ("b", Self.live)], leases: (0..<4).map { Self.lease($0, "a") }))
        #expect(actions == [
            .release(shard: 3, expectedEpoch: 1), .release(shard: 2, expectedEpoch: 1),
            .renew([LeaseToken(shard: 0, epoch: 1), LeaseToken(shard: 1, epoch: 1)]),
        ])
        // Releasing leases are not claimable any more, even before the release is performed.
        #expect(machine.claimableLeases(at: Self.now).map(\.shard) == [0, 1])
        #expect((0..<4).map { machine.isClaimable(shard: $0, at: Self.now) } == [true, true, false, false])
    }

    @Test("leases taken by others are reported lost and dropped")
    func lostLeases() {
        var machine = Self.machine("a", shards: 2)
        machine.acquired(LeaseToken(shard: 0, epoch: 1), at: .seconds(990))
        machine.acquired(LeaseToken(shard: 1, epoch: 1), at: .seconds(990))
        let actions = machine.tick(Self.snapshot(
            workers: [("a", Self.live), ("b", Self.live)], leases: [Self.lease(0, "a"), Self.lease(1, "b", epoch: 2)]))
        #expect(actions == [.lost([LeaseToken(shard: 1, epoch: 1)]), .renew([LeaseToken(shard: 0, epoch: 1)])])
        #expect(machine.heldLeases == [LeaseToken(shard: 0, epoch: 1)])
    }

    @Test("claimability ends a safety margin before the lease; renewals extend it, failed ones lose the lease")
    func claimability() {
        var machine = Self.machine("a", shards: 2)  // 30 s leases, 6 s margin
        machine.acquired(LeaseToken(shard: 0, epoch: 1), at: .seconds(100))
        machine.acquired(LeaseToken(shard: 1, epoch: 5), at: .seconds(100))
        #expect(machine.claimableLeases(at: .seconds(123)).count == 2)
        #expect(machine.claimableLeases(at: .seconds(124)).isEmpty)
        #expect(machine.isClaimable(shard: 1, at: .seconds(123)) && !machine.isClaimable(shard: 1, at: .seconds(124)))
        #expect(machine.heldLeases.count == 2)
        let requested = [LeaseToken(shard: 0, epoch: 1), LeaseToken(shard: 1, epoch: 5)]
        let lost = machine.renewed([LeaseToken(shard: 0, epoch: 1)], requested: requested, at: .seconds(110))
        #expect(lost == [LeaseToken(shard: 1, epoch: 5)])
        #expect(machine.claimableLeases(at: .seconds(133)) == [LeaseToken(shard: 0, epoch: 1)])
        #expect(machine.claimableLeases(at: .seconds(134)).isEmpty)
        #expect(machine.isClaimable(shard: 0, at: .seconds(133)) && !machine.isClaimable(shard: 1, at: .seconds(133)))
        #expect(machine.heldLeases == [LeaseToken(shard: 0, epoch: 1)])
    }

    @Test("own expired leases are renewed, not re-acquired with a new epoch")
    func ownExpiredLeaseRenewed() {
        var machine = Self.machine("a", shards: 1)
        machine.acquired(LeaseToken(shard: 0, epoch: 3), at: .seconds(900))
        let actions = machine.tick(Self.snapshot(workers: [("a", Self.live)], leases: [Self.lease(0, "a", epoch: 3, expires: Self.expired)]))
        #expect(actions == [.renew([LeaseToken(shard: 0, epoch: 3)])])
    }

    @Test("leases found under our id after a restart are adopted, renewed, and claimable only after the renewal")
    func adoptsLeasesAfterRestart() {
        var machine = Self.machine("a", shards: 2)
        let actions = machine.tick(Self.snapshot(workers: [("a", Self.live)], leases: [Self.lease(0, "a", epoch: 4), Self.lease(1, nil)]))
        #expect(actions == [.renew([LeaseToken(shard: 0, epoch: 4)]), .acquire(shard: 1, expectedEpoch: 1)])
        #expect(machine.claimableLeases(at: Self.now).isEmpty)
        machine.renewed([LeaseToken(shard: 0, epoch: 4)], requested: [LeaseToken(shard: 0, epoch: 4)], at: Self.now)
        #expect(machine.claimableLeases(at: Self.now) == [LeaseToken(shard: 0, epoch: 4)])
    }

    @Test("draining renews without claiming or taking; shutdown releases everything and stops")
    func drainingAndShutdown() {
        var machine = Self.machine("a", shards: 3)
        machine.acquired(LeaseToken(shard: 0, epoch: 1), at: .seconds(990))
        machine.acquired(LeaseToken(shard: 1, epoch: 2), at: .seconds(990))
        machine.beginDraining()
        #expect(machine.phase == .draining)
        #expect(machine.claimableLeases(at: Self.now).isEmpty)
        #expect(!machine.isClaimable(shard: 0, at: Self.now), "held, but draining")
        let snapshot = Self.snapshot(workers: [("a", Self.live)], leases: [Self.lease(0, "a"), Self.lease(1, "a", epoch: 2), Self.lease(2, nil)])
        #expect(machine.tick(snapshot) == [.renew([LeaseToken(shard: 0, epoch: 1), LeaseToken(shard: 1, epoch: 2)])])
        #expect(machine.shutdown() == [.release(shard: 0, expectedEpoch: 1), .release(shard: 1, expectedEpoch: 2)])
        #expect(machine.phase == .stopped)
        #expect(machine.heldLeases.isEmpty)
        #expect(machine.tick(snapshot).isEmpty)
        machine.acquired(LeaseToken(shard: 2, epoch: 1), at: Self.now)
        #expect(machine.heldLeases.isEmpty)
    }

    @Test("rows outside 0..<S are ignored; of duplicate rows the higher epoch counts")
    func oddRows() {
        let snapshot = Self.snapshot(
            workers: [("a", Self.live)],
            leases: [Self.lease(-1, "a"), Self.lease(7, "a"), Self.lease(0, "b", epoch: 9), Self.lease(0, nil, epoch: 3)])
        let plan = ShardLeasePlan(snapshot: snapshot, planner: "a", shardCount: 1, workerTimeout: .seconds(30))
        #expect(plan.rows.count == 1)
        #expect(plan.rows[0].epoch == 9)
        // b is not a live worker, its lease is unexpired: a steals it.
        #expect(plan.moves["a"] == [.steal(shard: 0, from: "b", expectedEpoch: 9)])
    }

    @Test("configuration is validated")
    func configuration() {
        let invalid: [Machine.Configuration] = [
            .init(shardCount: 0), .init(shardCount: 4, leaseDuration: .zero), .init(shardCount: 4, workerTimeout: .zero),
            .init(shardCount: 4, safetyMargin: .seconds(30)), .init(shardCount: 4, safetyMargin: .seconds(-1)),
            .init(shardCount: 4, maxStealsPerTick: 0),
        ]
        for configuration in invalid {
            #expect(throws: QueueConfigurationError.self) { try Machine(workerID: "a", configuration: configuration) }
        }
        let defaults = Machine.Configuration(shardCount: 4)
        #expect(defaults.leaseDuration == .seconds(30) && defaults.workerTimeout == .seconds(30) && defaults.safetyMargin == .seconds(6))
    }
}
