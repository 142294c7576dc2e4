import Foundation
import Synchronization
import Testing
import VigilPostgres
import VigilQueue
import VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Several `vigil worker` processes against one real PostgreSQL: crashes, joins, SIGTERM, SIGSTOP.
///
/// Leases are short (2 s) so that takeovers happen within the test's time; every wait polls the database.
@Suite(.serialized)
struct WorkerClusterTests {
    /// A test's schema and the worker processes it started; all are killed and the schema dropped at the end.
    final class TestCluster: Sendable {
        let db: QueueTestDatabase
        private let started = Mutex<[WorkerProcess]>([])

        private init(db: QueueTestDatabase) {
            self.db = db
        }

        /// Starts `vigil worker` with `arguments` on this test's schema.
        func spawn(_ arguments: [String]) throws -> WorkerProcess {
            let worker = try WorkerProcess(databaseURL: db.processURL, arguments: arguments)
            started.withLock { $0.append(worker) }
            return worker
        }

        static func with(shardCount: Int, _ body: (TestCluster) async throws -> Void) async throws {
            try await QueueTestDatabase.with(shardCount: shardCount) { db in
                try await withCleanup(TestCluster(db: db), cleanup: { await $0.killWorkers() }, body)
            }
        }

        private func killWorkers() async {
            for worker in started.withLock({ $0 }) { await worker.kill() }
        }
    }

    static let lease = 2.0

    /// The usual arguments: short shard and job leases, quick polling.
    static func arguments(workMs: Int = 0, maxInFlight: Int = 16, extra: [String] = []) -> [String] {
        [
            "--lease-seconds", "\(lease)", "--job-lease-seconds", "\(lease)", "--poll-seconds", "0.5", "--max-steals", "4",
            "--max-in-flight", "\(maxInFlight)", "--placeholder-work-ms", "\(workMs)", "--drain-timeout", "1",
        ] + extra
    }

    private func leasesHeld(by worker: WorkerProcess, in db: QueueTestDatabase) async throws -> Int {
        try await db.count("SELECT count(*) FROM shard_lease WHERE owner LIKE $1", [worker.idPattern])
    }

    /// 20,000 alerts, 2 workers then a third added mid-run, one SIGKILLed and restarted repeatedly: every alert
    /// ends with exactly one verdict; a killed worker's shards move within two lease periods; the added worker
    /// gets its fair share.
    @Test(.timeLimit(.minutes(3)))
    func crashesLoseNothingAndDuplicateNothing() async throws {
        let total = 20_000
        let shards = 16
        try await TestCluster.with(shardCount: shards) { try await crashScenario($0, total: total, shards: shards) }
    }

    private func crashScenario(_ cluster: TestCluster, total: Int, shards: Int) async throws {
        let db = cluster.db
        var workers: [WorkerProcess] = []
        try await db.enqueue(total)
        let arguments = Self.arguments(workMs: 20, maxInFlight: 16)
        workers.append(try cluster.spawn(arguments))
        workers.append(try cluster.spawn(arguments))
        #expect(
            try await db.waitUntil(timeout: .seconds(10)) {
                try await db.count("SELECT count(*) FROM verdict") > 0
            }, "work starts")

        // A third worker joins: it reaches its fair share (16 / 3 → 5 or 6) while the others give leases up.
        let joiner = try cluster.spawn(arguments)
        workers.append(joiner)
        let fair = try await db.waitUntil(timeout: .seconds(10)) {
            try await leasesHeld(by: joiner, in: db) >= shards / 3
        }
        let joinerLeases = try await leasesHeld(by: joiner, in: db)
        #expect(fair, "the joining worker holds \(joinerLeases) of \(shards) leases")

        // Kill one worker at a time with SIGKILL, check its leases move, restart it.
        var cycles = 0
        var moveTimes: [Double] = []
        func jobsLeft() async throws -> Int { try await db.count("SELECT count(*) FROM triage_job") }
        while true {
            let left = try await jobsLeft()
            guard cycles < 3 || (left > 0 && cycles < 8) else { break }
            let index = cycles % workers.count
            let victim = workers[index]
            if try await leasesHeld(by: victim, in: db) == 0 {
                _ = try await db.waitUntil(timeout: .seconds(3)) { try await leasesHeld(by: victim, in: db) > 0 }
            }
            let killedAt = ContinuousClock.now
            victim.signal(SIGKILL)
            #expect(await victim.waitForExit() == 128 + SIGKILL)
            let moved = try await db.waitUntil(timeout: .seconds(Self.lease * 2 + 1)) {
                try await db.count(
                    "SELECT count(*) FROM shard_lease WHERE owner LIKE $1 OR owner IS NULL OR expires_at < now()", [victim.idPattern]) == 0
            }
            let elapsed = killedAt.duration(to: .now)
            moveTimes.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            #expect(moved, "the killed worker's shards were taken over")
            #expect(elapsed <= .seconds(Self.lease * 2), "shards moved \(elapsed) after the kill (two lease periods: \(Self.lease * 2) s)")
            workers[index] = try cluster.spawn(arguments)
            try await Task.sleep(for: .milliseconds(500))
            cycles += 1
        }

        let finished = try await db.waitUntil(timeout: .seconds(60)) {
            try await db.count("SELECT count(*) FROM triage_job") == 0
        }
        #expect(finished, "all jobs finished")
        #expect(try await db.count("SELECT count(*) FROM verdict") == total)
        #expect(try await db.count("SELECT count(DISTINCT (shard, alert_id)) FROM verdict") == total)
        let withoutVerdict = try await db.count(
            "SELECT count(*) FROM alert a WHERE NOT EXISTS (SELECT 1 FROM verdict v WHERE v.shard = a.shard AND v.alert_id = a.id)")
        #expect(withoutVerdict == 0)
        #expect(try await db.count("SELECT count(*) FROM dead_job") == 0)
        // The placeholder verdict says what it is, and never closes.
        #expect(
            try await db.count(
                "SELECT count(*) FROM verdict WHERE decided_by = 'placeholder' AND flags = ARRAY['placeholder'] AND decision = 'ESCALATE'")
                == total)
        // Killed workers' jobs ran again (attempt > 1) and their stale results, if any, were discarded.
        let retried = try await db.count("SELECT count(*) FROM verdict WHERE attempt > 1")
        #expect(retried > 0, "kills interrupted running jobs, which ran again")
        #expect(try await QueueCounter.read(QueueCounter.duplicateVerdicts, from: db.pool) == 0, "no job completed twice")
        let moves = moveTimes.map { String(format: "%.2f", $0) }
        print("crash test: \(cycles) kills, shards moved after \(moves) s, \(retried) alerts ran more than once")
        for worker in workers { worker.signal(SIGTERM) }
        for worker in workers { #expect(await worker.waitForExit() == 0, "\(worker.log.suffix(2000))") }
        #expect(try await db.count("SELECT count(*) FROM shard_lease WHERE owner IS NOT NULL") == 0)
}

    /// SIGTERM: in-flight jobs that cannot finish within the drain timeout are handed back at once (not
    /// after their 60 s job lease), the leases released, and another worker finishes them.
    @Test(.timeLimit(.minutes(1)))
    func sigtermHandsJobsBackAtOnce() async throws {
        try await TestCluster.with(shardCount: 4) { cluster in
            let db = cluster.db
            try await db.enqueue(4)
            let slow = try WorkerProcess(
                databaseURL: db.processURL,
                arguments: ["--placeholder-work-ms", "60000", "--job-lease-seconds", "60", "--drain-timeout", "0.5", "--lease-seconds", "2"])
            #expect(
                try await db.waitUntil(timeout: .seconds(10)) {
                    try await db.count("SELECT count(*) FROM triage_job WHERE state = 'running' AND owner LIKE $1", [slow.idPattern]) == 4
                }, "the worker runs all four jobs")
            let sent = ContinuousClock.now
            slow.signal(SIGTERM)
            #expect(await slow.waitForExit() == 0, "\(slow.log.suffix(2000))")
            let elapsed = sent.duration(to: .now)
            #expect(elapsed < .seconds(5), "exited \(elapsed) after SIGTERM")
            let handedBack = try await db.count(
                "SELECT count(*) FROM triage_job WHERE state = 'ready' AND owner IS NULL AND attempt = 0 AND run_at <= now()")
            #expect(handedBack == 4)
            #expect(try await QueueCounter.read(QueueCounter.handedBack, from: db.pool) == 4)
            #expect(try await db.count("SELECT count(*) FROM shard_lease WHERE owner IS NOT NULL") == 0)
            #expect(try await db.count("SELECT count(*) FROM worker") == 0)

            // Another worker finishes them without waiting for any lease to expire.
            let next = try cluster.spawn(Self.arguments())
            let started = ContinuousClock.now
            #expect(try await db.waitUntil(timeout: .seconds(10)) { try await db.count("SELECT count(*) FROM verdict") == 4 })
            #expect(started.duration(to: .now) < .seconds(5))
            next.signal(SIGTERM)
            #expect(await next.waitForExit() == 0)
        }
    }

    /// Leases move when a worker joins or releases, not at the next lease tick: with 30 s leases (a lease tick every
    /// 10 s), a worker that registers gets its share, and the leases a worker releases at SIGTERM are taken over,
    /// within a few seconds. Without the announcements on `vigil_leases` the join would take two ticks (20 s).
    @Test(.timeLimit(.minutes(1)))
    func joinsAndReleasesMoveLeasesAtOnce() async throws {
        try await TestCluster.with(shardCount: 8) { cluster in
            let db = cluster.db
            let arguments = ["--lease-seconds", "30", "--poll-seconds", "0.5", "--drain-timeout", "1"]
            let first = try cluster.spawn(arguments)
            #expect(try await db.waitUntil(timeout: .seconds(15)) { try await leasesHeld(by: first, in: db) == 8 })

            let second = try cluster.spawn(arguments)
            #expect(try await db.waitUntil(timeout: .seconds(15)) {
                try await db.count("SELECT count(*) FROM worker WHERE id LIKE $1", [second.idPattern]) == 1
            })
            let registered = ContinuousClock.now
            let balanced = try await db.waitUntil(timeout: .seconds(25)) {
                let held = (try await leasesHeld(by: first, in: db), try await leasesHeld(by: second, in: db))
                return held == (4, 4)
            }
            let joinTook = registered.duration(to: .now)
            #expect(balanced, "the leases split 4 and 4")
            #expect(joinTook < .seconds(4), "the join balanced the leases \(joinTook) after the registration; the lease tick is 10 s")

            let sent = ContinuousClock.now
            second.signal(SIGTERM)
            let takenOver = try await db.waitUntil(timeout: .seconds(25)) { try await leasesHeld(by: first, in: db) == 8 }
            let leaveTook = sent.duration(to: .now)
            #expect(takenOver, "the first worker took the released leases")
            #expect(leaveTook < .seconds(4), "released leases were taken \(leaveTook) after SIGTERM; the lease tick is 10 s")
            #expect(await second.waitForExit() == 0, "\(second.log.suffix(2000))")
            first.signal(SIGTERM)
            #expect(await first.waitForExit() == 0)
        }
    }

    /// SIGTERM's first phase: jobs that finish within the drain timeout complete normally.
    @Test(.timeLimit(.minutes(1)))
    func sigtermLetsShortJobsFinish() async throws {
        try await TestCluster.with(shardCount: 4) { cluster in
            let db = cluster.db
            try await db.enqueue(4)
            let worker = try WorkerProcess(
                databaseURL: db.processURL, arguments: ["--placeholder-work-ms", "1500", "--drain-timeout", "10", "--lease-seconds", "2"])
            #expect(
                try await db.waitUntil(timeout: .seconds(10)) {
                    try await db.count("SELECT count(*) FROM triage_job WHERE state = 'running'") == 4
                })
            worker.signal(SIGTERM)
            // While its jobs finish, the worker's row says it is draining; the row is gone once it exits.
            #expect(
                try await db.waitUntil(timeout: .seconds(5)) {
                    try await db.count("SELECT count(*) FROM worker WHERE state = 'draining' AND id LIKE $1", [worker.idPattern]) == 1
                }, "the worker row reads draining during shutdown")
            #expect(await worker.waitForExit() == 0)
            #expect(try await db.count("SELECT count(*) FROM worker") == 0)
            #expect(try await db.count("SELECT count(*) FROM verdict") == 4)
            #expect(try await db.count("SELECT count(*) FROM triage_job") == 0)
            #expect(try await QueueCounter.read(QueueCounter.handedBack, from: db.pool) == 0)
        }
    }

    /// A worker paused with SIGSTOP while running a job loses its lease; another worker takes the job over and
    /// completes it; the paused worker, resumed, cannot complete its old attempt.
    @Test(.timeLimit(.minutes(1)))
    func pausedWorkerCannotCompleteItsOldJob() async throws {
        try await TestCluster.with(shardCount: 2) { cluster in
            let db = cluster.db
            try await db.enqueue(1)
            let paused = try cluster.spawn(Self.arguments(workMs: 3000))
            #expect(
                try await db.waitUntil(timeout: .seconds(10)) {
                    try await db.count("SELECT count(*) FROM triage_job WHERE state = 'running' AND owner LIKE $1", [paused.idPattern]) == 1
                })
            paused.signal(SIGSTOP)
            let other = try cluster.spawn(Self.arguments())
            #expect(
                try await db.waitUntil(timeout: .seconds(15)) {
                    try await db.count("SELECT count(*) FROM verdict WHERE worker LIKE $1", [other.idPattern]) == 1
                }, "the other worker took the shard and the job over")
            #expect(
                try await db.count(
                    "SELECT count(*) FROM shard_lease l JOIN verdict v USING (shard) WHERE l.owner LIKE $1", [other.idPattern]) == 1,
                "the job's shard lease is the other worker's")
            #expect(
                try await db.waitUntil(timeout: .seconds(10)) {
                    try await db.count("SELECT count(*) FROM shard_lease WHERE owner LIKE $1", [paused.idPattern]) == 0
                }, "the paused worker's other lease moves too")
            paused.signal(SIGCONT)
            #expect(
                try await db.waitUntil(timeout: .seconds(10)) {
                    try await QueueCounter.read(QueueCounter.staleCompletions, from: db.pool) >= 1
                }, "the resumed worker's completion was discarded as stale")
            let verdicts = try await db.pool.query("SELECT worker, attempt FROM verdict")
            #expect(verdicts.count == 1)
            #expect(try verdicts[0].decode(String.self, at: 0).contains(":\(other.pid):"))
            #expect(try verdicts[0].decode(Int.self, at: 1) == 2)
            for worker in [paused, other] { worker.signal(SIGTERM) }
            for worker in [paused, other] { #expect(await worker.waitForExit() == 0) }
        }
    }
}
