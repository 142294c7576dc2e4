import Foundation
import Testing
import VigilPostgres
import VigilQueue

/// The queue's statements against a real PostgreSQL, driven by hand: fencing, retries, dead-letters.
@Suite(.serialized)
struct JobStoreTests {
    private func takeAllLeases(_ store: ShardLeaseStore, shardCount: Int) async throws -> [LeaseToken] {
        _ = try await store.prepare()
        var tokens: [LeaseToken] = []
        for shard in 0..<shardCount {
            let token = try await store.take(shard: shard, expectedEpoch: 0, from: nil, duration: .seconds(30))
            tokens.append(try #require(token))
        }
        return tokens
    }

    private static let verdict = VerdictRecord(decision: .escalate, rationale: "test", decidedBy: "test")

    @Test func staleWorkerCannotCompleteAfterItsLeaseIsStolen() async throws {
        try await QueueTestDatabase.with(shardCount: 1) { db in
            try await db.enqueue(1)
            let a = JobStore(pool: db.pool, workerID: "worker-a")
            let b = JobStore(pool: db.pool, workerID: "worker-b")
            let leasesA = try await takeAllLeases(ShardLeaseStore(pool: db.pool, workerID: "worker-a"), shardCount: 1)
            // A claims with a job lease that is over at once, as if A had stopped heartbeating.
            let claimedA = try await a.claim(leases: leasesA, limit: 10, jobLease: .milliseconds(1))
            let jobA = try #require(claimedA.first)
            #expect(jobA.attempt == 1 && jobA.leaseEpoch == 1)

            // B steals the lease (epoch 2) and takes over the expired job.
            let stolen = try await ShardLeaseStore(pool: db.pool, workerID: "worker-b").take(
                shard: 0, expectedEpoch: 1, from: "worker-a", duration: .seconds(30))
            #expect(stolen == LeaseToken(shard: 0, epoch: 2))
            try await Task.sleep(for: .milliseconds(5))
            #expect(try await a.claim(leases: leasesA, limit: 10, jobLease: .seconds(30)).isEmpty, "A's old epoch claims nothing")
            #expect(try await a.readyExpired(leases: leasesA) == 0, "nor can it touch the shard's jobs")
            #expect(try await b.readyExpired(leases: [stolen!]) == 1, "the new owner readies the expired job")
            let jobB = try #require(try await b.claim(leases: [stolen!], limit: 10, jobLease: .seconds(30)).first)
            #expect(jobB.key == jobA.key && jobB.attempt == 2 && jobB.leaseEpoch == 2)

            // A's late completion is refused and counted; B's goes through.
            let late = try await a.finish([JobResult(key: jobA.key, attempt: jobA.attempt, disposition: .complete, verdict: Self.verdict)])
            #expect(late.applied.isEmpty)
            #expect(try await QueueCounter.read(QueueCounter.staleCompletions, from: db.pool) == 1)
            let done = try await b.finish([JobResult(key: jobB.key, attempt: jobB.attempt, disposition: .complete, verdict: Self.verdict)])
            #expect(done.applied == [jobB.key])
            let rows = try await db.pool.query("SELECT worker, attempt, lease_epoch FROM verdict")
            #expect(rows.count == 1)
            #expect(try rows[0].decode(String.self, at: 0) == "worker-b")
            #expect(try rows[0].decode(Int.self, at: 1) == 2 && rows[0].decode(Int64.self, at: 2) == 2)
            #expect(try await db.count("SELECT count(*) FROM triage_job") == 0)
        }
    }

    @Test func completionAfterLeaseLossWithoutTakeoverIsStale() async throws {
        try await QueueTestDatabase.with(shardCount: 1) { db in
            try await db.enqueue(1)
            let store = ShardLeaseStore(pool: db.pool, workerID: "worker-a")
            let leases = try await takeAllLeases(store, shardCount: 1)
            let jobs = JobStore(pool: db.pool, workerID: "worker-a")
            let job = try #require(try await jobs.claim(leases: leases, limit: 1, jobLease: .seconds(30)).first)
            // The lease is released (epoch moves on) while the job still runs: the job row is untouched, the fence holds.
            try await store.release(shard: 0, expectedEpoch: leases[0].epoch)
            let report = try await jobs.finish([JobResult(key: job.key, attempt: job.attempt, disposition: .complete, verdict: Self.verdict)])
            #expect(report.applied.isEmpty)
            #expect(try await db.count("SELECT count(*) FROM verdict") == 0)
            #expect(try await db.count("SELECT count(*) FROM triage_job WHERE state = 'running'") == 1)
            #expect(try await QueueCounter.read(QueueCounter.staleCompletions, from: db.pool) == 1)
        }
    }

    @Test func verdictsStayUniquePerAlert() async throws {
        try await QueueTestDatabase.with(shardCount: 1) { db in
            try await db.enqueue(1)
            let leases = try await takeAllLeases(ShardLeaseStore(pool: db.pool, workerID: "worker-a"), shardCount: 1)
            let jobs = JobStore(pool: db.pool, workerID: "worker-a")
            let job = try #require(try await jobs.claim(leases: leases, limit: 1, jobLease: .seconds(30)).first)
            // A verdict already exists (an earlier run committed one): the job is removed, the first verdict kept.
            try await db.pool.query(
                """
                INSERT INTO verdict (shard, alert_id, decision, rationale, decided_by, worker, lease_epoch, attempt, enqueued_at)
                VALUES ($1, $2, 'ESCALATE', 'first', 'test', 'earlier', 1, 1, now())
                """, [job.key.shard, job.key.alertID])
            let report = try await jobs.finish([JobResult(key: job.key, attempt: job.attempt, disposition: .complete, verdict: Self.verdict)])
            #expect(report.applied == [job.key] && report.duplicateVerdicts == [job.key])
            #expect(try await db.count("SELECT count(*) FROM verdict WHERE rationale = 'first'") == 1)
            #expect(try await db.count("SELECT count(*) FROM verdict") == 1)
            #expect(try await db.count("SELECT count(*) FROM triage_job") == 0)
            #expect(try await QueueCounter.read(QueueCounter.duplicateVerdicts, from: db.pool) == 1)
        }
    }

    @Test func failuresRetryWithBackoffThenDeadLetter() async throws {
        try await QueueTestDatabase.with(shardCount: 1) { db in
            try await db.enqueue(1, maxAttempts: 3)
            let leases = try await takeAllLeases(ShardLeaseStore(pool: db.pool, workerID: "worker-a"), shardCount: 1)
            let jobs = JobStore(pool: db.pool, workerID: "worker-a")
            let policy = RetryPolicy(maxAttempts: 3, baseDelay: .seconds(10), maxDelay: .seconds(60), jitter: .equal)
            var generator = SystemRandomNumberGenerator()
            var delays: [Int64] = []
            for attempt in 1...3 {
                let job = try #require(try await jobs.claim(leases: leases, limit: 1, jobLease: .seconds(30)).first)
                #expect(job.attempt == attempt && job.maxAttempts == 3)
                let outcome = JobOutcome.fail(JobError(code: .transient, message: "enrichment source unavailable (\(attempt))"))
                var capped = policy
                capped.maxAttempts = job.maxAttempts
                let disposition = capped.disposition(for: outcome, attempt: job.attempt, previousDelay: job.previousDelay, using: &generator)
                let report = try await jobs.finish([JobResult(key: job.key, attempt: job.attempt, disposition: disposition, verdict: Self.verdict)])
                #expect(report.applied == [job.key])
                guard attempt < 3 else {
                    guard case .deadLetter = disposition else {
                        Issue.record("the last attempt should dead-letter, got \(disposition)")
                        return
                    }
                    continue
                }
                // Backed off: ready, not due before the delay, the error and the delay kept; nothing to claim now.
                let row = try await db.pool.query(
                    "SELECT state, owner IS NULL, last_error, previous_delay_ms, extract(epoch FROM run_at - now()) FROM triage_job")
                #expect(try row[0].decode(String.self, at: 0) == "ready" && row[0].decode(Bool.self, at: 1))
                #expect(try row[0].decode(String.self, at: 2) == "transient: enrichment source unavailable (\(attempt))")
                let delay = try row[0].decode(Int64.self, at: 3)
                let exponential = Int64(10_000) << (attempt - 1)
                #expect(delay >= exponential / 2 && delay <= exponential, "equal jitter keeps the delay in [exp/2, exp]")
                #expect(try row[0].decode(Double.self, at: 4) > Double(delay) / 1000 - 1)
                delays.append(delay)
                #expect(try await jobs.claim(leases: leases, limit: 1, jobLease: .seconds(30)).isEmpty, "not due yet")
                try await db.pool.query("UPDATE triage_job SET run_at = now()")
            }
            #expect(delays.count == 2)
            #expect(try await db.count("SELECT count(*) FROM triage_job") == 0)
            #expect(try await db.count("SELECT count(*) FROM verdict") == 0)
            let dead = try await db.pool.query("SELECT attempts, last_error FROM dead_job")
            #expect(dead.count == 1)
            #expect(try dead[0].decode(Int.self, at: 0) == 3)
            #expect(try dead[0].decode(String.self, at: 1) == "transient: enrichment source unavailable (3)")
        }
    }

    @Test func explicitDeadLetterAndRetryAfterSkipBackoff() async throws {
        try await QueueTestDatabase.with(shardCount: 2) { db in
            try await db.enqueue(2)
            let leases = try await takeAllLeases(ShardLeaseStore(pool: db.pool, workerID: "worker-a"), shardCount: 2)
            let jobs = JobStore(pool: db.pool, workerID: "worker-a")
            let claimed = try await jobs.claim(leases: leases, limit: 10, jobLease: .seconds(30))
            #expect(claimed.count == 2)
            let policy = RetryPolicy(maxAttempts: 5)
            var generator = SystemRandomNumberGenerator()
            let poison = policy.disposition(
                for: .deadLetter(JobError(code: .invalidInput, message: "unreadable")), attempt: 1, using: &generator)
            let later = policy.disposition(
                for: .retry(after: .milliseconds(1500), error: JobError(code: .transient, message: "rate limited")), attempt: 1,
                using: &generator)
            let report = try await jobs.finish([
                JobResult(key: claimed[0].key, attempt: 1, disposition: poison, verdict: Self.verdict),
                JobResult(key: claimed[1].key, attempt: 1, disposition: later, verdict: Self.verdict),
            ])
            #expect(report.applied.count == 2)
            #expect(try await db.count("SELECT count(*) FROM dead_job WHERE attempts = 1 AND last_error = 'invalid_input: unreadable'") == 1)
            #expect(try await db.count("SELECT count(*) FROM triage_job WHERE state = 'ready' AND previous_delay_ms = 1500") == 1)
        }
    }

    @Test func maintenanceRescuesExpiredJobsAndReapsDeadWorkers() async throws {
        try await QueueTestDatabase.with(shardCount: 1) { db in
            try await db.enqueue(3)
            let store = ShardLeaseStore(pool: db.pool, workerID: "worker-a")
            _ = try await store.heartbeatAndSnapshot(host: "test", pid: 1)
            let leases = try await takeAllLeases(store, shardCount: 1)
            let claimed = try await JobStore(pool: db.pool, workerID: "worker-a").claim(leases: leases, limit: 3, jobLease: .milliseconds(1))
            #expect(claimed.count == 3)
            try await db.pool.query("UPDATE worker SET heartbeat_at = now() - interval '1 hour'")
            try await Task.sleep(for: .milliseconds(5))
            let leader = try await PostgresConnection.connect(db.configuration)
            let rival = try await PostgresConnection.connect(db.configuration)
            #expect(try await QueueMaintenance.tryLead(on: leader))
            #expect(try await !QueueMaintenance.tryLead(on: rival), "one leader at a time")
            let report = try await QueueMaintenance.runOnce(on: leader, rescueGrace: .zero, reapAfter: .seconds(60), vacuumAfterDeadRows: 0)
            #expect(report == QueueMaintenance.Report(rescuedJobs: 3, reapedWorkers: 1, vacuumed: true))
            let quiet = try await QueueMaintenance.runOnce(on: leader, rescueGrace: .zero, reapAfter: .seconds(60), vacuumAfterDeadRows: 1_000_000)
            #expect(quiet == QueueMaintenance.Report(rescuedJobs: 0, reapedWorkers: 0, vacuumed: false))
            #expect(try await db.count("SELECT count(*) FROM triage_job WHERE state = 'ready' AND owner IS NULL AND attempt = 1") == 3)
            #expect(try await QueueCounter.read(QueueCounter.rescuedJobs, from: db.pool) == 3)
            #expect(try await QueueCounter.read(QueueCounter.reapedWorkers, from: db.pool) == 1)
            await leader.close()
            // The server drops the lock as the leader's backend exits, a moment after the connection closes.
            #expect(try await db.waitUntil(timeout: .seconds(5)) { try await QueueMaintenance.tryLead(on: rival) }, "the lock passes on")
            await rival.close()
        }
    }
}
