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

@Suite("DatabaseTimeEstimate")
struct DatabaseTimeEstimateTests {
    @Test("bounds widen by the round trip and move with local time")
    func bounds() {
        let reading = DatabaseInstant(unixMicroseconds: 5_000_000)
        let estimate = DatabaseTimeEstimate(
            databaseNow: reading, sent: TestInstant.seconds(100), received: TestInstant(offset: .milliseconds(100_040)))
        #expect(estimate.uncertainty == .milliseconds(40))
        #expect(estimate.earliest(at: TestInstant(offset: .milliseconds(100_040))) == reading)
        #expect(estimate.latest(at: TestInstant(offset: .milliseconds(100_040))) == reading.advanced(by: .milliseconds(40)))
        #expect(estimate.earliest(at: .seconds(110)).unixMicroseconds == 14_960_000)
        #expect(estimate.latest(at: .seconds(110)).unixMicroseconds == 15_000_000)
    }

    @Test("used as documented, a worker stops claiming before the database lets another take the lease")
    func safeWithStateMachine() throws {
        // The database's clock is unknown to the worker beyond the reading; try every true reading instant
        // within the round trip, and renewals whose commit lands anywhere after they were sent.
        let cases = stride(from: 0, through: 200, by: 25).flatMap { offset in [0, 300].map { (offset, $0) } }
        for (offsetMillis, commitMillis) in cases {
            let sent = TestInstant.seconds(50)
            let received = TestInstant(offset: .milliseconds(50_200))
            // The database read now() at local sent + offset; its clock is local time shifted by this constant.
            let shift: Duration = .seconds(1_000_000)
            func databaseTime(_ local: TestInstant) -> DatabaseInstant {
                DatabaseInstant(unixMicroseconds: 0).advanced(by: local.offset + shift)
            }
            let estimate = DatabaseTimeEstimate(
                databaseNow: databaseTime(sent.advanced(by: .milliseconds(Int64(offsetMillis)))), sent: sent, received: received)
            var machine = try ShardLeaseStateMachine<DatabaseInstant>(
                workerID: "w", configuration: .init(shardCount: 1, leaseDuration: .seconds(30), safetyMargin: .zero))
            // The acquire is sent at local 60 s and commits at once or 300 ms later: the lease ends 30 s after.
            let writeSent = TestInstant.seconds(60)
            machine.acquired(LeaseToken(shard: 0, epoch: 1), at: estimate.earliest(at: writeSent))
            let leaseEnds = databaseTime(writeSent.advanced(by: .milliseconds(Int64(commitMillis)))).advanced(by: .seconds(30))
            // Walk local time forward: whenever the worker may still claim, the database must not yet have expired it.
            var local = writeSent
            while local < TestInstant.seconds(95) {
                if !machine.claimableLeases(at: estimate.latest(at: local)).isEmpty {
                    #expect(databaseTime(local) < leaseEnds, "offset \(offsetMillis) ms, commit \(commitMillis) ms, local \(local)")
                }
                local = local.advanced(by: .milliseconds(10))
            }
        }
    }
}
