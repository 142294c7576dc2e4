import Foundation
import Testing
import VigilQueue

@Suite("DatabaseInstant")
struct DatabaseInstantTests {
    @Test("PostgreSQL's binary epoch is 2000-01-01")
    func postgresEpoch() {
        let instant = DatabaseInstant(postgresMicroseconds: 0)
        #expect(instant.date == Date(timeIntervalSince1970: 946_684_800))
        #expect(DatabaseInstant(unixMicroseconds: 1_714_564_800_123_456).postgresMicroseconds == 767_880_000_123_456)
    }

    @Test("arithmetic at microsecond resolution")
    func arithmetic() {
        let start = DatabaseInstant(unixMicroseconds: 1_000_000)
        #expect(start.advanced(by: .seconds(30)).unixMicroseconds == 31_000_000)
        #expect(start.advanced(by: .milliseconds(-1)).unixMicroseconds == 999_000)
        #expect(start.advanced(by: .nanoseconds(1_999)).unixMicroseconds == 1_000_001)
        #expect(start.duration(to: start.advanced(by: .seconds(2))) == .seconds(2))
        #expect(start < start.advanced(by: .microseconds(1)))
        #expect(DatabaseInstant(Date(timeIntervalSince1970: 1.5)).unixMicroseconds == 1_500_000)
    }

    @Test("drives the lease state machine")
    func withStateMachine() throws {
        var machine = try ShardLeaseStateMachine<DatabaseInstant>(workerID: "w", configuration: .init(shardCount: 2))
        let now = DatabaseInstant(unixMicroseconds: 1_714_564_800_000_000)
        let actions = machine.tick(LeaseSnapshot(now: now, workers: [.init(id: "w", lastHeartbeat: now)], leases: []))
        #expect(actions == [.acquire(shard: 0, expectedEpoch: 0), .acquire(shard: 1, expectedEpoch: 0)])
        machine.acquired(LeaseToken(shard: 0, epoch: 1), at: now)
        #expect(machine.claimableLeases(at: now.advanced(by: .seconds(23))).count == 1)
        #expect(machine.claimableLeases(at: now.advanced(by: .seconds(24))).isEmpty)
    }
}
