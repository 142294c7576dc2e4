import Testing
import VigilCore
import VigilQueue

/// Whole-cluster behaviour of shard leasing, simulated without a database.
@Suite("Shard leases: simulated cluster")
struct LeaseSimulationTests {
    static func ids(_ count: Int) -> [WorkerID] { (0..<count).map { WorkerID("worker-\(Character(UnicodeScalar(97 + $0)!))") } }

    static func expectHealthy(_ simulation: LeaseSimulation, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(simulation.violations.isEmpty, "\(simulation.violations.prefix(5))", sourceLocation: sourceLocation)
    }

    @Test(
        "N workers starting together converge: every shard owned once, balanced within one, then stable",
        arguments: [(64, 1), (64, 2), (64, 3), (64, 5), (10, 3), (10, 4), (7, 3), (3, 5), (1, 2), (100, 7), (256, 9)])
    func startTogether(shardCount: Int, workerCount: Int) {
        var simulation = LeaseSimulation(shardCount: shardCount, seed: UInt64(shardCount * 31 + workerCount))
        for id in Self.ids(workerCount) { simulation.start(id) }
        let rounds = simulation.roundsUntilConverged()
        #expect(rounds != nil && rounds! <= 3, "took \(String(describing: rounds)) rounds")
        let counts = simulation.counts.values.sorted()
        #expect(counts.first == shardCount / workerCount && counts.last == (shardCount + workerCount - 1) / workerCount)
        // Stable: no more moves, no flapping.
        let changes = simulation.ownershipChanges
        simulation.rounds(30)
        #expect(simulation.ownershipChanges == changes)
        #expect(simulation.isConverged)
        Self.expectHealthy(simulation)
    }

    @Test("workers joining one at a time each get a fair share with few moves", arguments: [64, 10, 7])
    func joinOneByOne(shardCount: Int) {
        var simulation = LeaseSimulation(shardCount: shardCount, seed: 5)
        for (index, id) in Self.ids(5).enumerated() {
            simulation.start(id)
            let before = simulation.ownershipChanges
            let rounds = simulation.roundsUntilConverged()
            #expect(rounds != nil, "join of worker \(index + 1) did not converge")
            // A join should move about S / N leases (each move may be a release plus an acquire), not reshuffle.
            let moved = simulation.ownershipChanges - before
            #expect(moved <= 2 * ((shardCount + index) / (index + 1)) + 2, "join of worker \(index + 1) moved \(moved)")
            Self.expectHealthy(simulation)
        }
        let changes = simulation.ownershipChanges
        simulation.rounds(20)
        #expect(simulation.ownershipChanges == changes)
    }

    @Test("a worker added mid-run receives its fair share; the others keep theirs otherwise")
    func joinSteals() {
        var simulation = LeaseSimulation(shardCount: 64, seed: 9)
        let ids = Self.ids(3)
        simulation.start(ids[0])
        simulation.start(ids[1])
        _ = simulation.roundsUntilConverged()
        simulation.start(ids[2])
        #expect(simulation.roundsUntilConverged() != nil)
        #expect(simulation.counts.values.sorted() == [21, 21, 22])
        Self.expectHealthy(simulation)
    }

    @Test("a graceful stop hands leases over within a round or two")
    func gracefulLeave() {
        var simulation = LeaseSimulation(shardCount: 64, seed: 2)
        let ids = Self.ids(4)
        for id in ids { simulation.start(id) }
        _ = simulation.roundsUntilConverged()
        simulation.stop(ids[1])
        let rounds = simulation.roundsUntilConverged()
        #expect(rounds != nil && rounds! <= 2, "took \(String(describing: rounds))")
        #expect(simulation.counts.values.sorted() == [21, 21, 22])
        Self.expectHealthy(simulation)
    }

    @Test("a crashed worker's shards move within two lease periods", arguments: [1, 2, 3])
    func crash(seed: UInt64) {
        var simulation = LeaseSimulation(shardCount: 64, seed: seed)
        let ids = Self.ids(3)
        for id in ids { simulation.start(id) }
        _ = simulation.roundsUntilConverged()
        simulation.crash(ids[0])
        // A lease period is three rounds.
        let rounds = simulation.roundsUntilConverged(limit: 6)
        #expect(rounds != nil, "not converged within two lease periods")
        #expect(simulation.counts.values.sorted() == [32, 32])
        Self.expectHealthy(simulation)
    }

    @Test("a paused worker loses its shards, cannot claim under them, and rejoins when it comes back")
    func pauseAndResume() {
        var simulation = LeaseSimulation(shardCount: 16, seed: 4)
        let ids = Self.ids(2)
        for id in ids { simulation.start(id) }
        _ = simulation.roundsUntilConverged()
        let pausedHeld = simulation.workers[ids[0]]!.machine.heldLeases
        #expect(pausedHeld.count == 8)
        simulation.pause(ids[0])
        simulation.rounds(9)  // three lease periods
        // Everything moved to the other worker, with new epochs.
        #expect(simulation.counts == [ids[1]: 16])
        #expect(simulation.workers[ids[0]]!.machine.claimableLeases(at: simulation.now).isEmpty)
        for token in pausedHeld { #expect(simulation.rows[token.shard].epoch > token.epoch) }
        simulation.resume(ids[0])
        // On its first tick back it learns what it lost.
        var paused = simulation.workers[ids[0]]!.machine
        let actions = paused.tick(simulation.snapshot())
        #expect(actions.first == .lost(pausedHeld))
        #expect(simulation.roundsUntilConverged() != nil)
        #expect(simulation.counts.values.sorted() == [8, 8])
        Self.expectHealthy(simulation)
    }

    @Test("a worker paused across its lease's end cannot have its old lease acquired while it may still claim")
    func pauseAroundExpiry() {
        // Pauses of every length around the lease duration, checked at every write by the simulation.
        for pauseRounds in 1...7 {
            var simulation = LeaseSimulation(shardCount: 8, seed: UInt64(pauseRounds))
            let ids = Self.ids(3)
            for id in ids { simulation.start(id) }
            _ = simulation.roundsUntilConverged()
            simulation.pause(ids[2])
            simulation.rounds(pauseRounds)
            simulation.resume(ids[2])
            #expect(simulation.roundsUntilConverged() != nil)
            Self.expectHealthy(simulation)
        }
    }

    @Test("flapping membership never breaks the invariants, and the cluster settles once it stops")
    func flapping() {
        var simulation = LeaseSimulation(shardCount: 30, seed: 77)
        let ids = Self.ids(4)
        for id in ids.prefix(3) { simulation.start(id) }
        _ = simulation.roundsUntilConverged()
        var rng = SplitMix64(seed: 99)
        for _ in 0..<60 {
            let id = ids[Int(rng.next() % 4)]
            switch (simulation.workers[id]?.state, rng.next() % 4) {
            case (nil, _), (.stopped?, _): simulation.start(id)
            case (.running?, 0): simulation.stop(id)
            case (.running?, 1): simulation.pause(id)
            case (.paused?, _): simulation.resume(id)
            default: break
            }
            if simulation.runningWorkers.isEmpty { simulation.start(ids[0]) }
            simulation.rounds(Int(rng.next() % 3) + 1)
        }
        for id in ids where simulation.workers[id]?.state == .paused { simulation.resume(id) }
        #expect(simulation.roundsUntilConverged() != nil)
        let changes = simulation.ownershipChanges
        simulation.rounds(20)
        #expect(simulation.ownershipChanges == changes)
        Self.expectHealthy(simulation)
    }

    @Test("random crashes, pauses, joins and leaves over many rounds keep every invariant", arguments: [11, 12, 13, 14])
    func chaos(seed: UInt64) {
        var simulation = LeaseSimulation(shardCount: 64, seed: seed)
        var rng = SplitMix64(seed: seed &* 1000)
        let ids = Self.ids(6)
        for id in ids.prefix(3) { simulation.start(id) }
        for _ in 0..<300 {
            if rng.next() % 5 == 0 {
                let id = ids[Int(rng.next() % 6)]
                switch (simulation.workers[id]?.state, rng.next() % 5) {
                case (nil, _), (.stopped?, _), (.crashed?, _): simulation.start(id)
                case (.running?, 0): simulation.stop(id)
                case (.running?, 1): simulation.crash(id)
                case (.running?, 2): simulation.pause(id)
                case (.paused?, _): simulation.resume(id)
                default: break
                }
            }
            if simulation.runningWorkers.isEmpty { simulation.start(ids[0]) }
            simulation.round(LeaseSimulation.Interleaving.allCases[Int(rng.next() % 3)])
        }
        for id in ids where simulation.workers[id]?.state == .paused { simulation.resume(id) }
        #expect(simulation.roundsUntilConverged() != nil)
        Self.expectHealthy(simulation)
    }

    @Test("join, crash, pause and graceful stop converge safely under every interleaving", arguments: LeaseSimulation.Interleaving.allCases)
    func everyInterleaving(interleaving: LeaseSimulation.Interleaving) {
        var simulation = LeaseSimulation(shardCount: 20, seed: 31)
        let ids = Self.ids(4)
        func settle(_ label: String) {
            var rounds = 0
            repeat {
                simulation.round(interleaving)
                rounds += 1
            } while !simulation.isConverged && rounds < 30
            #expect(simulation.isConverged, "\(label) did not converge")
        }
        for id in ids.prefix(3) { simulation.start(id) }
        settle("start")
        simulation.start(ids[3])
        settle("join")
        simulation.crash(ids[0])
        settle("crash")
        simulation.pause(ids[1])
        simulation.rounds(7, interleaving)
        simulation.resume(ids[1])
        settle("pause")
        simulation.stop(ids[2])
        settle("stop")
        let changes = simulation.ownershipChanges
        simulation.rounds(15, interleaving)
        #expect(simulation.ownershipChanges == changes)
        Self.expectHealthy(simulation)
    }

    @Test("a worker restarting with the same id adopts, renews and rebalances its old leases")
    func restartSameID() throws {
        var simulation = LeaseSimulation(shardCount: 12, seed: 8)
        let ids = Self.ids(2)
        for id in ids { simulation.start(id) }
        _ = simulation.roundsUntilConverged()
        // A fresh machine for the same id: the table still names it owner.
        simulation.start(ids[0])
        let changes = simulation.ownershipChanges
        #expect(simulation.roundsUntilConverged() != nil)
        #expect(simulation.ownershipChanges == changes, "adopted leases should be renewed, not re-acquired")
        Self.expectHealthy(simulation)
    }
}
