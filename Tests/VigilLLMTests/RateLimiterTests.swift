import Foundation
import Testing
import VigilCore
import VigilLLM
import VigilPostgres
import VigilSimulator

/// The local permit pool's arithmetic, with the time passed in.
@Suite("LocalPermitPool")
struct LocalPermitPoolTests {
    typealias Pool = LocalPermitPool<ContinuousClock.Instant>
    let t0 = ContinuousClock.now

    @Test("an empty pool asks for the call's need plus a prefetch chunk; a fresh grant then serves calls locally")
    func chunking() {
        var pool = Pool(configuration: .init(prefetchRequests: 2, prefetchCalls: 1, refreshInterval: .seconds(1)))
        guard case .refresh(let request) = pool.take(inputTokens: 100, maxOutputTokens: 50, now: t0) else {
            Issue.record("expected a refresh")
            return
        }
        #expect(request.need == .init(requests: 1, inputTokens: 100, outputTokens: 50))
        #expect(request.prefetch == .init(requests: 2, inputTokens: 100, outputTokens: 50))
        pool.beginRefresh(request)
        pool.granted(.init(requests: 3, inputTokens: 200, outputTokens: 100), pausedFor: .zero, now: t0)
        #expect(pool.take(inputTokens: 100, maxOutputTokens: 50, now: t0) == .granted)
        #expect(pool.take(inputTokens: 100, maxOutputTokens: 50, now: t0.advanced(by: .milliseconds(10))) == .granted)
        // Out of tokens: a round trip for the shortfall only.
        guard case .refresh(let next) = pool.take(inputTokens: 100, maxOutputTokens: 50, now: t0.advanced(by: .milliseconds(20))) else {
            Issue.record("expected a refresh")
            return
        }
        #expect(next.need == .init(requests: 0, inputTokens: 100, outputTokens: 50))
        pool.beginRefresh(next)
        #expect(pool.localGrants == 2)
        #expect(pool.refreshes == 2)
    }

    @Test("a stale view forces a round trip even with permits held")
    func staleView() {
        var pool = Pool(configuration: .init(refreshInterval: .seconds(1)))
        _ = pool.take(inputTokens: 1, maxOutputTokens: 1, now: t0)
        pool.granted(.init(requests: 5, inputTokens: 50, outputTokens: 50), pausedFor: .zero, now: t0)
        #expect(pool.take(inputTokens: 1, maxOutputTokens: 1, now: t0.advanced(by: .milliseconds(999))) == .granted)
        guard case .refresh(let request) = pool.take(inputTokens: 1, maxOutputTokens: 1, now: t0.advanced(by: .seconds(1))) else {
            Issue.record("expected a refresh")
            return
        }
        #expect(request.need == .zero)
    }

    @Test("holdings above the cap are given back on the next round trip")
    func giveBack() {
        var pool = Pool(configuration: .init(prefetchRequests: 0, prefetchCalls: 0, refreshInterval: .seconds(1), maxHeldCalls: 2))
        _ = pool.take(inputTokens: 10, maxOutputTokens: 10, now: t0)
        pool.granted(.init(requests: 10, inputTokens: 100, outputTokens: 100), pausedFor: .zero, now: t0)
        guard case .refresh(let request) = pool.take(inputTokens: 10, maxOutputTokens: 10, now: t0.advanced(by: .seconds(2))) else {
            Issue.record("expected a refresh")
            return
        }
        #expect(request.giveBack == .init(requests: 8, inputTokens: 80, outputTokens: 80))
        #expect(pool.held == .init(requests: 10, inputTokens: 100, outputTokens: 100))  // a preview changes nothing
        pool.beginRefresh(request)
        #expect(pool.held == .init(requests: 2, inputTokens: 20, outputTokens: 20))
    }

    @Test("settling refunds unused output and charges input beyond the estimate")
    func settle() {
        var pool = Pool()
        _ = pool.take(inputTokens: 100, maxOutputTokens: 1000, now: t0)
        pool.granted(.init(requests: 1, inputTokens: 100, outputTokens: 1000), pausedFor: .zero, now: t0)
        #expect(pool.take(inputTokens: 100, maxOutputTokens: 1000, now: t0) == .granted)
        pool.settle(reservedInput: 100, reservedOutput: 1000, actualInput: 130, actualOutput: 200)
        #expect(pool.held == .init(requests: 0, inputTokens: -30, outputTokens: 800))
        pool.settle(reservedInput: 10, reservedOutput: 10, actualInput: nil, actualOutput: nil)
        #expect(pool.held == .init(requests: 0, inputTokens: -20, outputTokens: 810))
    }

    @Test("a pause holds every call until it ends, and a shorter pause never shortens it")
    func pause() {
        var pool = Pool()
        pool.pause(until: t0.advanced(by: .seconds(5)))
        pool.pause(until: t0.advanced(by: .seconds(1)))
        #expect(pool.take(inputTokens: 1, maxOutputTokens: 1, now: t0.advanced(by: .seconds(2))) == .paused(until: t0.advanced(by: .seconds(5))))
        if case .refresh = pool.take(inputTokens: 1, maxOutputTokens: 1, now: t0.advanced(by: .seconds(5))) {} else { Issue.record("expected a refresh") }
    }
}

/// The PostgreSQL-backed limiter, alone and with agents against the simulator.
@Suite("PostgresRateLimiter", .serialized)
struct PostgresRateLimiterTests {
    static func limiter(_ db: TestDatabase, rpm: Int, burst: Double = 60, prefetch: Int = 0) -> PostgresRateLimiter {
        PostgresRateLimiter(
            configuration: .init(
                provider: "anthropic",
                model: LLMProviderConfiguration.defaultAnthropicModel,
                limits: RateLimits(requestsPerMinute: rpm, inputTokensPerMinute: 10_000_000, outputTokensPerMinute: 10_000_000),
                burstSeconds: burst,
                pool: .init(prefetchRequests: prefetch)
            ),
            database: db.pool
        )
    }

    @Test("workers together get no more than the bucket holds, and a refill admits more")
    func sharedBucket() async throws {
        try await TestDatabase.with { db in
            // 60 rpm with a 10 s burst: a bucket of 10 requests refilling 1 per second; 24 calls may wait 600 ms.
            let workers = (0..<4).map { _ in Self.limiter(db, rpm: 60, burst: 10, prefetch: 2) }
            try await workers[0].prepare()
            let start = ContinuousClock.now
            let soon = start.advanced(by: .milliseconds(600))
            let admitted = await withTaskGroup(of: Int.self) { group in
                for worker in workers {
                    for _ in 0..<6 {
                        group.addTask {
                            (try? await worker.acquire(inputTokens: 10, maxOutputTokens: 10, deadline: soon)) == nil ? 0 : 1
                        }
                    }
                }
                return await group.reduce(0, +)
            }
            // Permits held in local pools count as taken: the callers together get at most the bucket plus what refilled
            // (1 per second) while they asked — 11 when the machine keeps to the 600 ms, more only if it was slower.
            let granted = try await db.pool.query("SELECT requests_granted FROM llm_rate_limit").first!.decode(Int64.self, column: "requests_granted")
            let elapsed = ContinuousClock.now - start
            let bound = 10 + max(1, Int((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18).rounded(.up)))
            #expect(admitted >= 9)
            #expect(admitted <= bound, "admitted \(admitted) in \(elapsed)")
            #expect(granted <= Int64(bound), "granted \(granted) in \(elapsed)")
            let later = ContinuousClock.now.advanced(by: .seconds(3))
            _ = try await workers[1].acquire(inputTokens: 10, maxOutputTokens: 10, deadline: later)
        }
    }

    @Test("a pause written by one worker holds back the others")
    func clusterPause() async throws {
        try await TestDatabase.with { db in
            let a = Self.limiter(db, rpm: 6000)
            let b = Self.limiter(db, rpm: 6000)
            try await a.prepare()
            // Timed from before the pause is written: the pause runs from the server's `now()` in its statement, which is
            // later than this, however long the answer takes to come back on a loaded machine.
            let started = ContinuousClock.now
            await a.pause(for: .milliseconds(800))
            let paused = ContinuousClock.now
            let tooSoon = await #expect(throws: LLMProviderError.self) {
                try await b.acquire(inputTokens: 1, maxOutputTokens: 1, deadline: paused.advanced(by: .milliseconds(300)))
            }
            #expect(tooSoon?.code == .rateLimitDeadline)
            _ = try await b.acquire(inputTokens: 1, maxOutputTokens: 1, deadline: paused.advanced(by: .seconds(5)))
            #expect(started.duration(to: .now) >= .milliseconds(700))
            let pauses = try await db.pool.query("SELECT pauses FROM llm_rate_limit").first!.decode(Int64.self, column: "pauses")
            #expect(pauses == 1)
        }
    }

    @Test("headers' remaining lowers the shared bucket for everyone")
    func headerCorrection() async throws {
        try await TestDatabase.with { db in
            let a = Self.limiter(db, rpm: 600)
            try await a.prepare()
            let permit = try await a.acquire(inputTokens: 1, maxOutputTokens: 1, deadline: .now.advanced(by: .seconds(1)))
            await a.finish(permit, usage: LLMUsage(inputTokens: 1, outputTokens: 1), rateLimit: RateLimitHeaders(requests: .init(remaining: 2)))
            // The next round trip of this worker carries the observation.
            try await Task.sleep(for: .milliseconds(1100))
            _ = try await a.acquire(inputTokens: 1, maxOutputTokens: 1, deadline: .now.advanced(by: .seconds(1)))
            let available = try await db.pool.query("SELECT requests_available FROM llm_rate_limit").first!.decode(Double.self, column: "requests_available")
            #expect(available <= 2)
        }
    }

    /// Eight workers (each its own limiter, client and agent) triage alerts against a simulator enforcing `rpm`.
    func runWorkers(_ sim: RunningSimulator, _ db: TestDatabase, rpm: Int, burst: Double, alertsPerWorker: Int) async throws -> [AIResult] {
        let workers = try (0..<8).map { _ in
            try makeAgent(
                .anthropic, sim,
                limiter: Self.limiter(db, rpm: rpm, burst: burst),
                client: LLMClient.Configuration(maxConcurrentCalls: 2, maxAttempts: 6, initialBackoff: .milliseconds(50))
            ) { $0.deadline = .seconds(60) }
        }
        try await Self.limiter(db, rpm: rpm, burst: burst).prepare()
        return await withTaskGroup(of: AIResult.self) { group in
            for (w, agent) in workers.enumerated() {
                for i in 0..<alertsPerWorker {
                    group.addTask { await agent.triage(alert: sampleAlert("w\(w)-\(i)")) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test("eight workers against a simulator enforcing the same RPM never get a 429")
    func neverExceeds() async throws {
        try await TestDatabase.with { db in
            // 240 rpm with a 2.5 s burst at the simulator (10 requests, 4/s); the cluster limits itself to a 1 s burst.
            var configuration = SimulatorConfiguration.testing
            configuration.requestsPerMinute = 240
            configuration.burstSeconds = 2.5
            try await LLMSimulator.withRunning(configuration) { sim in
                let started = ContinuousClock.now
                let results = try await runWorkers(sim, db, rpm: 240, burst: 1, alertsPerWorker: 1)
                let seconds = Double(started.duration(to: .now).components.seconds) + 1
                let stats = sim.simulator.stats()
                #expect(results.allSatisfy { $0.verdict != nil }, "\(results.map(\.status))")
                #expect(stats.rateLimited == 0)
                #expect(stats.served == stats.totalRequests)
                #expect(stats.served >= 16)
                #expect(Double(stats.served) <= 10 + 4 * seconds)
            }
        }
    }

    @Test("after a forced 429 storm the cluster pauses together and recovers")
    func stormRecovery() async throws {
        try await TestDatabase.with { db in
            try await LLMSimulator.withRunning(.testing) { sim in
                sim.simulator.startStorm(seconds: 2)
                let started = ContinuousClock.now
                let results = try await runWorkers(sim, db, rpm: 6000, burst: 60, alertsPerWorker: 1)
                #expect(results.allSatisfy { $0.verdict != nil }, "\(results.map(\.status))")
                #expect(started.duration(to: .now) >= .seconds(2))
                let stats = sim.simulator.stats()
                #expect(stats.rateLimited >= 1)
                // The cluster-wide pause keeps the storm from being hammered: at most a few 429s per worker.
                #expect(stats.rateLimited <= 8 * 2)
                let pauses = try await db.pool.query("SELECT pauses FROM llm_rate_limit").first!.decode(Int64.self, column: "pauses")
                #expect(pauses >= 1)
            }
        }
    }
}

@Suite("ConcurrencyLimit")
struct ConcurrencyLimitTests {
    @Test("never more holders than the limit; cancelled waiters leave the queue")
    func cap() async throws {
        let limit = ConcurrencyLimit(limit: 3)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try? await limit.acquire()
                    try? await Task.sleep(for: .milliseconds(5))
                    limit.release()
                }
            }
        }
        #expect(limit.peak == 3)
        try await limit.acquire()
        try await limit.acquire()
        try await limit.acquire()
        let waiter = Task { try await limit.acquire() }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        limit.release()
        try await limit.acquire()  // the slot went to this caller, not the cancelled waiter
        #expect(limit.peak == 3)
    }
}
