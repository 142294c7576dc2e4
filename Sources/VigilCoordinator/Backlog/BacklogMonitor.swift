import Logging
import ServiceLifecycle
import Synchronization
import VigilPostgres

/// Measures the backlog (ready + running jobs) on an interval, for backpressure and readiness.
///
/// The count stops at the high-water mark plus one, so measuring stays cheap however large the
/// backlog grows. Lifecycle: a `Service`; ``run()`` must be running for the numbers to move.
public final class BacklogMonitor: Service, Sendable {
    public struct Reading: Sendable, Hashable {
        /// Jobs counted, at most `highWater + 1`.
        public var backlog: Int
        /// Whether the backlog is above the high-water mark.
        public var overHighWater: Bool
        /// Whether the last measurement reached the database.
        public var databaseReachable: Bool
    }

    private let pool: PostgresPool
    private let highWater: Int
    private let interval: Duration
    private let logger: Logger
    private let state: Mutex<Reading>

    static let count = "SELECT count(*) AS n FROM (SELECT 1 FROM triage_job LIMIT $1) AS capped"

    public init(pool: PostgresPool, highWater: Int, interval: Duration, logger: Logger) {
        self.pool = pool
        self.highWater = highWater
        self.interval = interval
        self.logger = logger
        state = Mutex(Reading(backlog: 0, overHighWater: false, databaseReachable: true))
    }

    public var reading: Reading { state.withLock { $0 } }

    /// Measures once now.
    public func measure() async {
        do {
            let rows = try await pool.query(Self.count, [highWater + 1])
            let backlog = try rows[0].decode(Int.self, column: "n")
            state.withLock { $0 = Reading(backlog: backlog, overHighWater: backlog > highWater, databaseReachable: true) }
        } catch {
            logger.warning("backlog measurement failed", metadata: ["error": "\(error)"])
            state.withLock { $0.databaseReachable = false }
        }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await measure()
            try? await Task.sleep(for: interval)
        }
    }
}
