import Foundation
import Testing
import VigilPostgres

/// Timing-sensitive: `scripts/test.sh` runs this suite on its own, after the others, so that CPU-bound
/// tests elsewhere cannot stall the ticking task and make the measurement lie.
@Suite("Cooperative pool stays free (timing)", .serialized)
struct CooperativePoolTimingTests {
    @Test("blocking libpq calls never stall the cooperative pool")
    func poolDoesNotBlockCooperativeThreads() async throws {
        try await TestDatabase.with(maxConnections: 8) { db in
            // Open all 8 connections first so connecting is not part of the measurement.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { try await db.pool.query("SELECT pg_sleep(0.05)") } }
                try await group.waitForAll()
            }

            let maxStall = Locked(Duration.zero)
            let clock = ContinuousClock()
            let start = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                let ticking = Task {
                    var last = clock.now
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(5))
                        let now = clock.now
                        let gap = now - last - .milliseconds(5)
                        maxStall.withLock { $0 = max($0, gap) }
                        last = now
                    }
                }
                for _ in 0..<32 {
                    group.addTask { try await db.pool.query("SELECT pg_sleep(0.3)") }
                }
                try await group.waitForAll()
                ticking.cancel()
            }
            let elapsed = clock.now - start
            let stall = maxStall.value
            // 32 sleeps of 0.3 s over 8 connections: 4 rounds, about 1.2 s.
            #expect(elapsed >= .milliseconds(1150), "fewer than 4 rounds: the pool exceeded 8 connections")
            // Were libpq calls running on the cooperative pool (2 threads here), at most 2 sleeps would
            // overlap: 16 rounds, 4.8 s.
            #expect(elapsed < .seconds(3), "the sleeps did not overlap 8 at a time: \(elapsed)")
            #expect(stall < .milliseconds(100), "the ticking task stalled \(stall)")
            #expect(db.pool.openConnections <= 8)
        }
    }
}
