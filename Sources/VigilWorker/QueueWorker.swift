import Foundation
import Logging
import ServiceLifecycle
import VigilPostgres
import VigilQueue

/// One worker process's queue machinery: lease loop, claim loop, completion writer, job heartbeats,
/// maintenance and notifications, each a `Service`, run in one `ServiceGroup`.
///
/// Lifecycle: ``make(pool:configuration:step:logger:)`` reads the shard count and prepares the lease table;
/// ``run(signals:)`` runs until SIGTERM/SIGINT (or cancellation) and returns after the two-phase shutdown:
/// claiming stops, in-flight jobs get `drainTimeout` to finish, the rest are handed back, then the leases are
/// released and the worker's row removed.
public final class QueueWorker: Sendable {
    public let workerID: WorkerID
    public let shardCount: Int
    let runtime: WorkerRuntime

    private init(runtime: WorkerRuntime, shardCount: Int) {
        self.runtime = runtime
        self.workerID = runtime.workerID
        self.shardCount = shardCount
    }

    /// A fresh worker id: `host:pid:random`, unique per process start.
    public static func makeWorkerID() -> WorkerID {
        let random = UUID().uuidString.lowercased().prefix(8)
        return WorkerID("\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(random)")
    }

    /// Prepares a worker: validates `configuration`, reads S, makes sure every shard has a lease row.
    ///
    /// - Throws: ``QueueConfigurationError`` for an invalid configuration, ``PostgresError`` from the database.
    public static func make(
        pool: PostgresPool, configuration: WorkerConfiguration, step: any TriageStep, workerID: WorkerID = makeWorkerID(),
        logger: Logger = Logger(label: "vigil.worker")
    ) async throws -> QueueWorker {
        try configuration.validate()
        let shardCount = try await ShardLeaseStore(pool: pool, workerID: workerID).prepare()
        var logger = logger
        logger[metadataKey: "worker"] = "\(workerID)"
        let runtime = try WorkerRuntime(
            workerID: workerID, configuration: configuration, shardCount: shardCount, pool: pool, step: step, logger: logger)
        return QueueWorker(runtime: runtime, shardCount: shardCount)
    }

    /// Whether shutdown has begun (claiming stopped): a readiness probe answers 503 from then on.
    public var isDraining: Bool { runtime.isStopping }

    /// The services in start order; a `ServiceGroup` shuts them down in reverse, so claiming stops first and
    /// the leases are released last.
    public var services: [any Service] {
        [
            LeaseService(runtime: runtime), CompletionService(runtime: runtime), JobHeartbeatService(runtime: runtime),
            MaintenanceService(runtime: runtime), NotificationService(runtime: runtime), ClaimService(runtime: runtime),
        ]
    }

    /// Runs the services until SIGTERM or SIGINT arrives (graceful shutdown) or the task is cancelled.
    public func run() async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: runtime.logger))
        try await group.run()
    }
}
