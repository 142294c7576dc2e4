/// What a worker reads before planning: the time, the registered workers and the lease table, all from one
/// database round trip.
///
/// `Instant` is the timeline of the database's clock (`now()`, `expires_at`, `last_heartbeat`); the shell
/// converts timestamps into it. Any `InstantProtocol` with `Swift.Duration` works; tests use a manual one.
public struct LeaseSnapshot<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// A registered worker and when it last heartbeated.
    public struct Worker: Sendable, Hashable {
        public var id: WorkerID
        public var lastHeartbeat: Instant

        public init(id: WorkerID, lastHeartbeat: Instant) {
            self.id = id
            self.lastHeartbeat = lastHeartbeat
        }
    }

    /// One row of the lease table.
    public struct Lease: Sendable, Hashable {
        public var shard: Int
        /// nil when nobody holds it (never taken, or released).
        public var owner: WorkerID?
        public var epoch: Int64
        public var expiresAt: Instant

        public init(shard: Int, owner: WorkerID?, epoch: Int64, expiresAt: Instant) {
            self.shard = shard
            self.owner = owner
            self.epoch = epoch
            self.expiresAt = expiresAt
        }
    }

    /// The database's `now()` when the snapshot was read.
    public var now: Instant
    public var workers: [Worker]
    /// The lease rows. A missing shard counts as never taken (no owner, epoch 0); rows of shards outside
    /// 0 ..< S are ignored; of two rows for one shard, the higher epoch counts.
    public var leases: [Lease]

    public init(now: Instant, workers: [Worker], leases: [Lease]) {
        self.now = now
        self.workers = workers
        self.leases = leases
    }
}
