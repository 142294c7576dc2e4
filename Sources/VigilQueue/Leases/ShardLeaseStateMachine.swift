/// One worker's side of KCL-style shard leasing, as a pure state machine: it reads snapshots and outcomes,
/// and returns ``LeaseAction``s for a thin I/O shell to perform. It never reads a clock or touches a database;
/// time comes in as arguments, so lease expiry, rebalancing and shutdown are deterministic in tests.
///
/// The shell's loop, every `leaseDuration / 3` or so, and at once when another worker announces that it joined or
/// released a lease (``ShardLeaseStore/channel``):
/// 1. heartbeat (`UPDATE worker SET last_heartbeat = now()`), then read a ``LeaseSnapshot`` (`now()`, the
///    `worker` rows, the `shard_lease` rows) in one round trip;
/// 2. `let actions = machine.tick(snapshot)`; perform each action as its documented compare-and-set and report
///    the outcome (``acquired(_:at:)``, ``renewed(_:requested:at:)``, ``released(_:)``), passing as `at` the
///    earliest the database's clock can have read when the statement was *sent* (the lease runs from the
///    database's `now()` at commit, which is later): ``DatabaseTimeEstimate/earliest(at:)``;
/// 3. claim jobs only under ``claimableLeases(at:)`` with the latest the database's clock can read now
///    (``DatabaseTimeEstimate/latest(at:)``), fencing each claim and completion by the token's epoch: the
///    claim statement joins `shard_lease` on `owner = $me AND epoch = token.epoch`.
///
/// Planning is in ``ShardLeasePlan``. Local safety: a lease counts as claimable only until
/// `sent + leaseDuration - safetyMargin`, so a worker that cannot renew (paused, partitioned, database down)
/// stops claiming before another worker can acquire the expired lease.
///
/// Shutdown is two-phase: ``beginDraining()`` stops claiming while leases are still renewed (in-flight jobs
/// finish under them), then ``shutdown()`` releases every lease.
public struct ShardLeaseStateMachine<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// Lease settings; the same for every worker of a cluster.
    public struct Configuration: Sendable, Hashable {
        /// S, the cluster's shard count (from the `cluster` table). Not secret.
        public var shardCount: Int
        /// How long a lease lasts after each renewal (default 30 s). Not secret.
        public var leaseDuration: Duration
        /// How long after its last heartbeat a worker counts as live (default: `leaseDuration`). Keep it at most
        /// `leaseDuration`: a crashed worker's shards move once both have passed. Not secret.
        public var workerTimeout: Duration
        /// How much earlier than the lease's end this worker stops claiming under it, against clock skew and
        /// the delay between sending a renewal and its commit (default: a fifth of `leaseDuration`). Not secret.
        public var safetyMargin: Duration
        /// Leases stolen per tick at most (default 1, as KCL). Not secret.
        public var maxStealsPerTick: Int

        public init(
            shardCount: Int,
            leaseDuration: Duration = .seconds(30),
            workerTimeout: Duration? = nil,
            safetyMargin: Duration? = nil,
            maxStealsPerTick: Int = 1
        ) {
            self.shardCount = shardCount
            self.leaseDuration = leaseDuration
            self.workerTimeout = workerTimeout ?? leaseDuration
            self.safetyMargin = safetyMargin ?? leaseDuration / 5
            self.maxStealsPerTick = maxStealsPerTick
        }

        /// - Throws: ``QueueConfigurationError`` naming the first invalid key.
        public func validate() throws(QueueConfigurationError) {
            guard shardCount >= 1 else { throw QueueConfigurationError(key: "shardCount", reason: "must be at least 1") }
            guard leaseDuration > .zero else { throw QueueConfigurationError(key: "leaseDuration", reason: "must be positive") }
            guard workerTimeout > .zero else { throw QueueConfigurationError(key: "workerTimeout", reason: "must be positive") }
            guard safetyMargin >= .zero, safetyMargin < leaseDuration else {
                throw QueueConfigurationError(key: "safetyMargin", reason: "must be at least 0 and less than leaseDuration")
            }
            guard maxStealsPerTick >= 1 else { throw QueueConfigurationError(key: "maxStealsPerTick", reason: "must be at least 1") }
        }
    }

    /// Where the worker is in its life.
    public enum Phase: Sendable, Hashable {
        /// Taking, renewing and balancing leases.
        case running
        /// Renewing held leases only; claiming nothing new.
        case draining
        /// All leases released; the machine does nothing more.
        case stopped
    }

    public let workerID: WorkerID
    public let configuration: Configuration
    public private(set) var phase: Phase = .running
    /// Held leases and until when (by the caller's timeline) each may be claimed under.
    private var held: [Int: (token: LeaseToken, claimableUntil: Instant)] = [:]
    /// The last plan, for inspection and metrics.
    public private(set) var lastPlan: ShardLeasePlan<Instant>?

    /// - Throws: ``QueueConfigurationError`` when `configuration` is invalid.
    public init(workerID: WorkerID, configuration: Configuration) throws(QueueConfigurationError) {
        try configuration.validate()
        self.workerID = workerID
        self.configuration = configuration
    }

    /// The leases this worker believes it holds, whatever their local validity: use them to fence in-flight
    /// work. For new claims use ``claimableLeases(at:)``.
    public var heldLeases: [LeaseToken] { held.values.map(\.token).sorted() }

    /// The leases under which new jobs may be claimed at `now`: held, confirmed recently enough, and not
    /// draining. Empty while draining or stopped.
    public func claimableLeases(at now: Instant) -> [LeaseToken] {
        held.values.filter { isClaimable($0, at: now) }.map(\.token).sorted()
    }

    /// Whether new jobs of `shard` may be claimed at `now`: `claimableLeases(at:)` holds its lease. Constant time,
    /// for a question asked on every job notification.
    public func isClaimable(shard: Int, at now: Instant) -> Bool {
        held[shard].map { isClaimable($0, at: now) } ?? false
    }

    private func isClaimable(_ lease: (token: LeaseToken, claimableUntil: Instant), at now: Instant) -> Bool {
        phase == .running && now < lease.claimableUntil
    }

    /// Plans one round from a fresh snapshot.
    ///
    /// Returns, in this order: `.lost` for held leases the snapshot shows taken; `.release` for leases above
    /// this worker's share; `.renew` for the rest; then `.acquire` / `.steal` moves towards the share. While
    /// draining only `.lost` and `.renew`; when stopped nothing.
    public mutating func tick(_ snapshot: LeaseSnapshot<Instant>) -> [LeaseAction] {
        guard phase != .stopped else { return [] }
        let plan = ShardLeasePlan(
            snapshot: snapshot, planner: workerID, shardCount: configuration.shardCount,
            workerTimeout: configuration.workerTimeout, maxStealsPerTick: configuration.maxStealsPerTick)
        lastPlan = plan
        var actions: [LeaseAction] = []

        // Leases the table no longer gives us.
        let lost = held.values.map(\.token).filter { token in
            let row = plan.rows[token.shard]
            return row.owner != workerID || row.epoch != token.epoch
        }.sorted()
        if !lost.isEmpty {
            for token in lost { held[token.shard] = nil }
            actions.append(.lost(lost))
        }
        // Leases the table gives us that we did not know of (a restart with the same id): adopt them, so that
        // they are renewed or released rather than left to expire. They are not claimable until renewed.
        for token in plan.held[workerID] ?? [] where held[token.shard] == nil {
            held[token.shard] = (token, snapshot.now)
        }

        let moves = phase == .running ? plan.moves[workerID] ?? [] : []
        var releasing = Set<Int>()
        for case .release(let shard, _) in moves { releasing.insert(shard) }
        actions += moves.filter { if case .release = $0 { true } else { false } }
        let renewals = heldLeases.filter { !releasing.contains($0.shard) }
        if !renewals.isEmpty { actions.append(.renew(renewals)) }
        actions += moves.filter { if case .release = $0 { false } else { true } }
        // A lease being released must not be claimed under any more.
        for shard in releasing { held[shard]?.claimableUntil = snapshot.now }
        return actions
    }

    /// Records a successful `.acquire` or `.steal`: `token` is (shard, expectedEpoch + 1).
    ///
    /// - Parameter sent: when the compare-and-set was sent, on the caller's timeline.
    public mutating func acquired(_ token: LeaseToken, at sent: Instant) {
        guard phase != .stopped else { return }
        held[token.shard] = (token, claimableUntil(sent))
    }

    /// Records the outcome of a `.renew`: the tokens the statement returned. Held leases of the renewal that are
    /// missing from `renewed` are lost.
    ///
    /// - Parameters:
    ///   - renewed: the rows the renewal updated.
    ///   - requested: the tokens of the `.renew` action.
    ///   - sent: when the statement was sent.
    /// - Returns: the tokens lost (stop claiming under them at once).
    @discardableResult
    public mutating func renewed(_ renewed: [LeaseToken], requested: [LeaseToken], at sent: Instant) -> [LeaseToken] {
        let confirmed = Set(renewed)
        let until = claimableUntil(sent)
        var lost: [LeaseToken] = []
        for token in requested {
            guard held[token.shard]?.token == token else { continue }
            if confirmed.contains(token) {
                held[token.shard]?.claimableUntil = until
            } else {
                held[token.shard] = nil
                lost.append(token)
            }
        }
        return lost.sorted()
    }

    /// Records a `.release`, whether or not its compare-and-set changed a row: the lease is not ours any more.
    public mutating func released(_ shard: Int) {
        held[shard] = nil
    }

    /// Stops claiming; later ticks only renew held leases, so in-flight jobs can finish under them.
    public mutating func beginDraining() {
        if phase == .running { phase = .draining }
    }

    /// Ends leasing: returns a `.release` for every held lease and stops the machine. The shell should hand
    /// back unfinished jobs first, perform the releases, then delete its `worker` row.
    public mutating func shutdown() -> [LeaseAction] {
        let actions = heldLeases.map { LeaseAction.release(shard: $0.shard, expectedEpoch: $0.epoch) }
        held.removeAll()
        phase = .stopped
        return actions
    }

    private func claimableUntil(_ sent: Instant) -> Instant {
        sent.advanced(by: configuration.leaseDuration - configuration.safetyMargin)
    }
}
