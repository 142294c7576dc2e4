// Round-trip benchmark: what a statement's trip through `PostgresConnection` costs beyond the server's answer.
//
// Run (release): DATABASE_URL=… swift run -c release --scratch-path .build-<name> RoundTripBenchmark
// Baseline: libpq alone on one thread of its own (`PQexecPrepared` in a loop, as pgbench does).
// Measured, for the same prepared `SELECT $1::int`: through `PostgresConnection.run` awaited from a task on Swift's
// global executor (a hop to the connection's thread and one back per statement), and from code isolated to the
// connection (no hop). Each back to back ("hot": every thread stays awake) and with 5 ms of idleness before each
// statement ("cold": the threads and the server's backend are asleep when it starts, as between the alerts of a
// worker that is not loaded). And through a one-connection `PostgresPool`: `pool.run` (the connection's check, the
// statement and its transaction status in one visit to the connection's thread) and `withConnection { $0.run }` (three
// visits: the check on checkout, the statement, the status on hand-back). Reported: p50 and p99 of single statements
// in µs over all rounds, and each p50 as a ratio of the baseline's in the same mode.
import CLibPQ
import Foundation
import Synchronization
import VigilCore
import VigilPostgres

let statements = 1_000
let rounds = 5
let sql = "SELECT $1::int"

func microseconds(_ duration: Duration) -> Double { duration.seconds * 1e6 }

/// Times `statements` calls of `run`, each after `idle` of sleep (none when zero), on the caller's isolation.
func timed(
    isolation: isolated (any Actor)? = #isolation, idle: Duration, _ run: (Int) async throws -> Void
) async rethrows -> [Double] {
    var each: [Double] = []
    each.reserveCapacity(statements)
    for i in 0..<statements {
        if idle > .zero { try? await Task.sleep(for: idle) }
        let start = ContinuousClock.now
        try await run(i)
        each.append(microseconds(start.duration(to: .now)))
    }
    return each
}

/// libpq alone, on a thread of its own (sleeping with `usleep` between statements when cold).
func libpq(_ url: String, idle: Duration) -> [Double] {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<[Double]>([])
    let thread = Thread {
        let conn = PQconnectdb(url)
        defer { PQfinish(conn) }
        PQclear(PQprepare(conn, "s", sql, 1, nil))
        var each: [Double] = []
        for i in 0..<statements {
            if idle > .zero { usleep(useconds_t(microseconds(idle))) }
            let start = ContinuousClock.now
            let answer = String(i).withCString { value -> OpaquePointer? in
                var values: [UnsafePointer<CChar>?] = [value]
                return PQexecPrepared(conn, "s", 1, &values, nil, nil, 0)
            }
            precondition(PQresultStatus(answer) == PGRES_TUPLES_OK, "libpq: the statement failed")
            PQclear(answer)
            each.append(microseconds(start.duration(to: .now)))
        }
        result.withLock { $0 = each }
        done.signal()
    }
    thread.start()
    done.wait()
    return result.withLock { $0 }
}

/// The statements awaited from a task on the global executor: a hop to the connection's thread and back for each.
func hoppingRound(_ connection: PostgresConnection, idle: Duration) async throws -> [Double] {
    try await timed(idle: idle) { i in _ = try await connection.run(PostgresStatement(sql, [i], prepared: true)) }
}

/// The statements through the pool's one-statement path: one visit to the connection's thread each.
func poolRound(_ pool: PostgresPool, idle: Duration) async throws -> [Double] {
    try await timed(idle: idle) { i in _ = try await pool.run(PostgresStatement(sql, [i], prepared: true)) }
}

/// The statements through `withConnection`: the checkout's check and the hand-back's status are visits of their own.
func poolCheckedRound(_ pool: PostgresPool, idle: Duration) async throws -> [Double] {
    try await timed(idle: idle) { i in _ = try await pool.withConnection { try await $0.run(PostgresStatement(sql, [i], prepared: true)) } }
}

extension PostgresConnection {
    /// The statements from code isolated to the connection: no hop between them and the connection's thread.
    func isolatedRound(idle: Duration) async throws -> [Double] {
        try await timed(idle: idle) { i in _ = try await run(PostgresStatement(sql, [i], prepared: true)) }
    }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
    FileHandle.standardError.write(Data("RoundTripBenchmark: set DATABASE_URL\n".utf8))
    exit(2)
}
let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
var poolConfiguration = PostgresConfiguration(connectionString: url)
poolConfiguration.maxConnections = 1
let pool = PostgresPool(configuration: poolConfiguration)
print("statements: \(statements) per round, \(rounds) rounds per mode; µs per statement")
for (mode, idle) in [("hot", Duration.zero), ("cold", Duration.milliseconds(5))] {
    var samples: [String: [Double]] = [:]
    for _ in 0..<rounds {
        samples["libpq", default: []] += libpq(url, idle: idle)
        samples["hopping", default: []] += try await hoppingRound(connection, idle: idle)
        samples["isolated", default: []] += try await connection.isolatedRound(idle: idle)
        samples["pool", default: []] += try await poolRound(pool, idle: idle)
        samples["pool, 3 visits", default: []] += try await poolCheckedRound(pool, idle: idle)
    }
    let baseline = percentile(samples["libpq"]!, 0.5)
    for name in ["libpq", "hopping", "isolated", "pool", "pool, 3 visits"] {
        let values = samples[name]!
        let p50 = percentile(values, 0.5)
        let label = mode.padding(toLength: 5, withPad: " ", startingAt: 0) + name.padding(toLength: 15, withPad: " ", startingAt: 0)
        print(label + String(format: " p50 %7.1f  p99 %7.1f  %5.2f× baseline", p50, percentile(values, 0.99), p50 / baseline))
    }
}
await connection.close()
await pool.close()
