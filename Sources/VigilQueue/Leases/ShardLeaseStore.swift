import Foundation
import VigilPostgres

/// The I/O half of shard leasing: the `worker` and `shard_lease` statements that ``ShardLeaseStateMachine``'s
/// actions name, each one compare-and-set in one statement (see ``LeaseAction`` for the contract).
///
/// Times are the database's: `now()` inside the statements, read back as ``DatabaseInstant``s.
public struct ShardLeaseStore: Sendable {
    public let pool: PostgresPool
    public let workerID: WorkerID

    public init(pool: PostgresPool, workerID: WorkerID) {
        self.pool = pool
        self.workerID = workerID
    }

    /// The default shard count when `cluster.shard_count` is unset (clusters migrated without `--shards`).
    public static let defaultShardCount = 64

    static let shardCountSQL = "SELECT coalesce((SELECT shard_count FROM cluster), \(defaultShardCount))"
    static let ensureRowsSQL = "INSERT INTO shard_lease (shard) SELECT generate_series(0, $1::int - 1) ON CONFLICT (shard) DO NOTHING"

    /// Reads S and makes sure every shard has a lease row (epoch 0, no owner).
    public func prepare() async throws -> Int {
        let shardCount = try await pool.query(Self.shardCountSQL)[0].decode(Int.self, at: 0)
        try await pool.query(Self.ensureRowsSQL, [shardCount])
        return shardCount
    }

    /// The LISTEN/NOTIFY channel on which a worker announces that it joined or released a lease, so that the
    /// others plan again at once instead of at their next tick; the payload is the announcing worker's id.
    public static let channel = "vigil_leases"

    /// $1 id, $2 host, $3 pid, $4 state (`active` or `draining`). Registers or heartbeats: a worker reaped
    /// while paused registers again. A registration (an inserted row, `xmax = 0`) is announced on ``channel``.
    static let heartbeatSQL = """
        WITH h AS (
            INSERT INTO worker (id, host, pid, state) VALUES ($1, $2, $3, $4)
            ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), state = EXCLUDED.state
            RETURNING (xmax = 0) AS joined)
        SELECT pg_notify('\(channel)', $1) FROM h WHERE joined
        """

    /// $1 id. Shutdown has begun: the row says so until it is removed.
    static let markDrainingSQL = "UPDATE worker SET state = 'draining' WHERE id = $1"

    /// The snapshot: one row for `now()`, one per worker, one per lease; times in µs since the Unix epoch
    /// (`-infinity` expiries read as the epoch itself).
    static let snapshotSQL = """
        SELECT 'n' AS kind, NULL::text AS id, NULL::int AS shard, NULL::int8 AS epoch, (extract(epoch FROM now()) * 1000000)::int8 AS at
        UNION ALL
        SELECT 'w', id, NULL, NULL, (extract(epoch FROM heartbeat_at) * 1000000)::int8 FROM worker
        UNION ALL
        SELECT 'l', owner, shard, epoch, (extract(epoch FROM greatest(expires_at, 'epoch'::timestamptz)) * 1000000)::int8 FROM shard_lease
        """

    /// Heartbeats this worker and reads a snapshot, in one round trip.
    ///
    /// - Parameters: host and pid as the `worker` row shows them; `draining` once shutdown has begun (the row's
    ///   `state` then reads `draining`).
    public func heartbeatAndSnapshot(host: String, pid: Int, draining: Bool = false) async throws -> LeaseSnapshot<DatabaseInstant> {
        let state = draining ? "draining" : "active"
        let results = try await pool.withConnection { connection in
            try await connection.pipeline([
                PostgresStatement(Self.heartbeatSQL, [workerID.rawValue, host, pid, state]), PostgresStatement(Self.snapshotSQL),
            ])
        }
        _ = try results[0].get()
        let rows = try results[1].get()
        var now = DatabaseInstant(unixMicroseconds: 0)
        var workers: [LeaseSnapshot<DatabaseInstant>.Worker] = []
        var leases: [LeaseSnapshot<DatabaseInstant>.Lease] = []
        for row in rows {
            let at = DatabaseInstant(unixMicroseconds: try row.decode(Int64.self, at: 4))
            switch try row.decode(String.self, at: 0) {
            case "n":
                now = at
            case "w":
                workers.append(.init(id: WorkerID(try row.decode(String.self, at: 1)), lastHeartbeat: at))
            default:
                let shard = try row.decode(Int.self, at: 2)
                let owner = try row.decode(String?.self, at: 1)
                let epoch = try row.decode(Int64.self, at: 3)
                leases.append(LeaseSnapshot<DatabaseInstant>.Lease(shard: shard, owner: owner.map { WorkerID($0) }, epoch: epoch, expiresAt: at))
            }
        }
        return LeaseSnapshot(now: now, workers: workers, leases: leases)
    }

    /// $1 me, $2 shards, $3 epochs, $4 lease milliseconds.
    static let renewSQL = """
        UPDATE shard_lease l SET expires_at = now() + $4 * interval '1 millisecond'
        FROM unnest($2::int[], $3::int8[]) AS t(shard, epoch)
        WHERE l.shard = t.shard AND l.epoch = t.epoch AND l.owner = $1
        RETURNING l.shard, l.epoch
        """

    /// $1 me, $2 shard, $3 expected epoch, $4 lease milliseconds.
    static let acquireSQL = """
        UPDATE shard_lease SET owner = $1, epoch = epoch + 1, expires_at = now() + $4 * interval '1 millisecond'
        WHERE shard = $2 AND epoch = $3 AND (owner IS NULL OR expires_at <= now())
        RETURNING epoch
        """

    /// $1 me, $2 shard, $3 expected epoch, $4 lease milliseconds, $5 the owner taken from.
    static let stealSQL = """
        UPDATE shard_lease SET owner = $1, epoch = epoch + 1, expires_at = now() + $4 * interval '1 millisecond'
        WHERE shard = $2 AND epoch = $3 AND owner = $5
        RETURNING epoch
        """

    /// $1 me, $2 shard, $3 expected epoch. A lease released is announced on ``channel``.
    static let releaseSQL = """
        WITH r AS (
            UPDATE shard_lease SET owner = NULL, epoch = epoch + 1, expires_at = now()
            WHERE shard = $2 AND epoch = $3 AND owner = $1
            RETURNING shard)
        SELECT pg_notify('\(channel)', $1) FROM r
        """

    /// Extends held leases; returns the tokens whose compare-and-set matched.
    public func renew(_ tokens: [LeaseToken], duration: Duration) async throws -> [LeaseToken] {
        guard !tokens.isEmpty else { return [] }
        let rows = try await pool.query(
            Self.renewSQL, [workerID.rawValue, tokens.map(\.shard), tokens.map(\.epoch), duration.milliseconds])
        return try rows.map { LeaseToken(shard: try $0.decode(Int.self, at: 0), epoch: try $0.decode(Int64.self, at: 1)) }
    }

    /// Performs `.acquire` or `.steal`; returns the new token, or nil when another worker won the race.
    public func take(shard: Int, expectedEpoch: Int64, from owner: WorkerID?, duration: Duration) async throws -> LeaseToken? {
        let rows =
            if let owner {
                try await pool.query(Self.stealSQL, [workerID.rawValue, shard, expectedEpoch, duration.milliseconds, owner.rawValue])
            } else {
                try await pool.query(Self.acquireSQL, [workerID.rawValue, shard, expectedEpoch, duration.milliseconds])
            }
        guard let row = rows.first else { return nil }
        return LeaseToken(shard: shard, epoch: try row.decode(Int64.self, at: 0))
    }

    /// Performs `.release`: gives the lease up (its epoch moves on, so work under the old one is fenced off) and
    /// announces it on ``channel``, so that a worker below its share takes it at once.
    public func release(shard: Int, expectedEpoch: Int64) async throws {
        try await pool.query(Self.releaseSQL, [workerID.rawValue, shard, expectedEpoch])
    }

    /// Marks this worker `draining` in the `worker` table (shutdown's first phase: it claims no more jobs).
    public func markDraining() async throws {
        try await pool.query(Self.markDrainingSQL, [workerID.rawValue])
    }

    static let deregisterSQL = "DELETE FROM worker WHERE id = $1"

    /// Removes this worker's row (after releasing its leases, at shutdown).
    public func deregister() async throws {
        try await pool.query(Self.deregisterSQL, [workerID.rawValue])
    }
}
