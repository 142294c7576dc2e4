import VigilQueue

/// Settings of one worker process. None is secret; the database's settings are ``VigilPostgres/PostgresConfiguration``'s.
public struct WorkerConfiguration: Sendable {
    /// Jobs whose triage step runs at once at most (default 64). Jobs whose step has ended and whose results wait
    /// for the completion writer are held on top of these, up to as many again, so the next batch is claimed while
    /// the last one's results are committed.
    public var maxInFlight: Int
    /// Jobs claimed per statement at most (default 128; never more than the free in-flight slots). While steps are
    /// short the worker waits for room for a quarter of this (of `maxInFlight` when smaller) before it claims; once
    /// they are long (AI steps) it claims as soon as one slot is free.
    public var claimBatch: Int
    /// How long a claimed job's lease lasts after each heartbeat (default 30 s). A job whose worker stops
    /// heartbeating is taken over once it expires.
    public var jobLease: Duration
    /// How often running jobs' leases are extended (default a third of `jobLease`).
    public var jobHeartbeatInterval: Duration
    /// Shard-lease settings except the shard count, which is read from the database (default: 30 s leases).
    public var leaseDuration: Duration
    /// Leases stolen per tick at most (default 1).
    public var maxStealsPerTick: Int
    /// How often the lease loop heartbeats and plans (default a third of `leaseDuration`).
    public var leaseTickInterval: Duration
    /// How long the claim loop sleeps without a notification before polling (default 1 s).
    public var pollInterval: Duration
    /// Shutdown's first phase: how long in-flight jobs may run on after SIGTERM before they are cancelled and
    /// handed back (default 10 s).
    public var drainTimeout: Duration
    /// Retries and dead-lettering; its `maxAttempts` is overridden by each job's own `max_attempts`.
    public var retryPolicy: RetryPolicy
    /// How often the maintenance leader rescues and reaps (default half of `leaseDuration`).
    public var maintenanceInterval: Duration
    /// How long after its last heartbeat a worker row is removed (default three `leaseDuration`s).
    public var reapAfter: Duration
    /// Completions written per statement at most (default 512).
    public var completionBatch: Int
    /// The maintenance leader vacuums `triage_job` once it holds this many dead row versions (default 50,000;
    /// nil: leave it to autovacuum). Needs the table's owner.
    public var vacuumAfterDeadRows: Int?
    /// MONITOR recurrence: an alert about the principal or resource of an earlier MONITOR verdict, occurring within
    /// this long of it, is escalated naming the earlier alerts (default 24 h; zero turns the watch list off).
    /// Applied where verdicts are written, whatever the triage step.
    public var monitorRecurrenceWindow: Duration = .seconds(86_400)

    public init(
        maxInFlight: Int = 64, claimBatch: Int = 128, jobLease: Duration = .seconds(30), jobHeartbeatInterval: Duration? = nil,
        leaseDuration: Duration = .seconds(30), maxStealsPerTick: Int = 1, leaseTickInterval: Duration? = nil,
        pollInterval: Duration = .seconds(1), drainTimeout: Duration = .seconds(10), retryPolicy: RetryPolicy = RetryPolicy(),
        maintenanceInterval: Duration? = nil, reapAfter: Duration? = nil, completionBatch: Int = 512,
        vacuumAfterDeadRows: Int? = 50_000
    ) {
        self.maxInFlight = maxInFlight
        self.claimBatch = claimBatch
        self.jobLease = jobLease
        self.jobHeartbeatInterval = jobHeartbeatInterval ?? jobLease / 3
        self.leaseDuration = leaseDuration
        self.maxStealsPerTick = maxStealsPerTick
        self.leaseTickInterval = leaseTickInterval ?? leaseDuration / 3
        self.pollInterval = pollInterval
        self.drainTimeout = drainTimeout
        self.retryPolicy = retryPolicy
        self.maintenanceInterval = maintenanceInterval ?? leaseDuration / 2
        self.reapAfter = reapAfter ?? leaseDuration * 3
        self.completionBatch = completionBatch
        self.vacuumAfterDeadRows = vacuumAfterDeadRows
    }

    /// - Throws: ``QueueConfigurationError`` naming the first invalid key.
    public func validate() throws(QueueConfigurationError) {
        func positive(_ value: Duration, _ key: String) throws(QueueConfigurationError) {
            guard value > .zero else { throw QueueConfigurationError(key: key, reason: "must be positive") }
        }
        guard maxInFlight >= 1 else { throw QueueConfigurationError(key: "maxInFlight", reason: "must be at least 1") }
        guard claimBatch >= 1 else { throw QueueConfigurationError(key: "claimBatch", reason: "must be at least 1") }
        guard completionBatch >= 1 else { throw QueueConfigurationError(key: "completionBatch", reason: "must be at least 1") }
        try positive(jobLease, "jobLease")
        try positive(jobHeartbeatInterval, "jobHeartbeatInterval")
        guard jobHeartbeatInterval < jobLease else {
            throw QueueConfigurationError(key: "jobHeartbeatInterval", reason: "must be shorter than jobLease")
        }
        try positive(leaseDuration, "leaseDuration")
        try positive(leaseTickInterval, "leaseTickInterval")
        guard leaseTickInterval < leaseDuration else {
            throw QueueConfigurationError(key: "leaseTickInterval", reason: "must be shorter than leaseDuration")
        }
        try positive(pollInterval, "pollInterval")
        guard drainTimeout >= .zero else { throw QueueConfigurationError(key: "drainTimeout", reason: "must not be negative") }
        try positive(maintenanceInterval, "maintenanceInterval")
        guard reapAfter > leaseDuration else { throw QueueConfigurationError(key: "reapAfter", reason: "must be longer than leaseDuration") }
        guard monitorRecurrenceWindow >= .zero else {
            throw QueueConfigurationError(key: "monitorRecurrenceWindow", reason: "must not be negative")
        }
        try retryPolicy.validate()
    }

    /// The lease state machine's configuration for a cluster of `shardCount` shards.
    public func leaseConfiguration(shardCount: Int) -> ShardLeaseStateMachine<DatabaseInstant>.Configuration {
        .init(shardCount: shardCount, leaseDuration: leaseDuration, maxStealsPerTick: maxStealsPerTick)
    }
}
