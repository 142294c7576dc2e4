import Foundation
import Logging
import Synchronization

/// A bounded pool of ``PostgresConnection``s.
///
/// - At most `maxConnections` are open; a caller waits up to `acquireTimeout` for one to come free.
/// - A connection is checked on checkout (no round trip: see ``PostgresConnection/isHealthy()``);
///   a dead one is closed and replaced, so after a server restart the statement that was running
///   fails and the next acquisition reconnects.
/// - A connection handed back inside a transaction is rolled back; one that broke is closed.
///
/// Lifecycle: usable from `init`; ``close()`` closes idle connections and fails waiters.
public final class PostgresPool: Sendable {
    public let configuration: PostgresConfiguration
    private let logger: Logger

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<PostgresConnection?, any Error>
    }

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var closed = false
    }

    private let state = Mutex(State())

    public init(configuration: PostgresConfiguration, logger: Logger = Logger(label: "vigil.postgres")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs `body` with a connection of its own, handing it back afterwards.
    ///
    /// - Throws: `.poolTimeout` when none came free in time, `.poolClosed` after ``close()``,
    ///   `.connectionFailed` when a new one could not be opened, and whatever `body` throws.
    public func withConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await body(connection)
            await release(connection)
            return value
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Runs `body` inside `BEGIN … COMMIT`; any error thrown rolls the transaction back and is rethrown.
    public func withTransaction<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withTransaction(begin: "BEGIN") { (try await body($0), "") }
    }

    /// ``PostgresConnection/withTransaction(begin:_:)`` on a pooled connection.
    public func withTransaction<T>(
        begin: String, _ body: (PostgresConnection) async throws -> (T, beforeCommit: String)
    ) async throws -> T {
        try await withConnection { connection in try await connection.withTransaction(begin: begin) { try await body(connection) } }
    }

    /// Runs one statement on a pooled connection.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> PostgresResult {
        try await run(PostgresStatement(sql, parameters))
    }

    /// Runs one statement on a pooled connection, visiting the connection's thread once: the connection's check, the
    /// statement and the transaction status it leaves are one call (``PostgresConnection/runIfHealthy(_:)``), where
    /// ``withConnection(_:)`` makes three. A connection found broken before anything was sent is replaced and the
    /// statement goes to another; one that breaks while the statement runs fails it, as in ``withConnection(_:)``.
    @discardableResult
    public func run(_ statement: PostgresStatement) async throws -> PostgresResult {
        while true {
            let connection = try await acquire(checked: false)
            let outcome: (PostgresResult, PostgresTransactionStatus)?
            do {
                outcome = try await connection.runIfHealthy(statement)
            } catch {
                await release(connection)
                throw error
            }
            guard let (result, status) = outcome else {
                await replaceBroken(connection)
                continue
            }
            await release(connection, leaving: status)
            return result
        }
    }

    /// Connections open now, idle ones included.
    public var openConnections: Int { state.withLock { $0.open } }

    /// Closes the idle connections and fails every waiter; connections in use close when handed back.
    public func close() async {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            defer {
                state.open -= state.idle.count
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: PostgresError(code: .poolClosed, message: "the pool was closed")) }
        for connection in idle { await connection.close() }
    }

    // MARK: Checkout

    private enum Checkout {
        case use(PostgresConnection)
        case open
        case wait
    }

    /// - Parameter checked: whether a connection that was idle is checked (``PostgresConnection/isHealthy()``) here;
    ///   false when the caller checks it itself.
    func acquire(checked: Bool = true) async throws -> PostgresConnection {
        while true {
            let checkout: Checkout = try state.withLock { state in
                if state.closed { throw PostgresError(code: .poolClosed, message: "the pool was closed") }
                if let connection = state.idle.popLast() { return .use(connection) }
                if state.open < configuration.maxConnections {
                    state.open += 1
                    return .open
                }
                return .wait
            }
            switch checkout {
            case .use(let connection):
                if !checked { return connection }
                if await connection.isHealthy() { return connection }
                await replaceBroken(connection)
                continue
            case .open:
                do {
                    return try await PostgresConnection.connect(configuration)
                } catch {
                    state.withLock { $0.open -= 1 }
                    wakeOneWaiter()
                    throw error
                }
            case .wait:
                if let connection = try await waitForRelease() {
                    if !checked { return connection }
                if await connection.isHealthy() { return connection }
                    await discard(connection)
                }
            }
        }
    }

    /// Waits for a released connection (nil: a slot came free, open one) or times out.
    private func waitForRelease() async throws -> PostgresConnection? {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        let timeout = configuration.acquireTimeout
        return try await withThrowingTaskGroup(of: PostgresConnection?.self) { group in
            group.addTask {
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { continuation in
                        let cancelled = self.state.withLock { state -> Bool in
                            if Task.isCancelled { return true }
                            state.waiters.append(Waiter(id: id, continuation: continuation))
                            return false
                        }
                        if cancelled { continuation.resume(throwing: CancellationError()) }
                    }
                } onCancel: {
                    let waiter = self.state.withLock { state -> Waiter? in
                        guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                        return state.waiters.remove(at: index)
                    }
                    waiter?.continuation.resume(throwing: CancellationError())
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw PostgresError(code: .poolTimeout, message: "no PostgreSQL connection came free within \(timeout)")
            }
            defer { group.cancelAll() }
            do {
                let first = try await group.next()!
                group.cancelAll()
                // The sleeper ends by cancellation; nothing else can be pending.
                return first
            } catch {
                group.cancelAll()
                // A connection may have been handed to us just as the timeout fired: give it back.
                while let late = try? await group.next() {
                    if let connection = late { await release(connection) }
                }
                throw error
            }
        }
    }

    // MARK: Check-in

    /// - Parameter status: the transaction status the connection was left in, when the caller knows it (else it is
    ///   read from the connection).
    func release(_ connection: PostgresConnection, leaving status: PostgresTransactionStatus? = nil) async {
        let status = if let status { status } else { await connection.transactionStatus }
        switch status {
        case .idle:
            break
        case .inTransaction, .failed:
            do {
                try await connection.executeScript("ROLLBACK")
            } catch {
                await discard(connection)
                return
            }
        case .active, .unknown:
            await discard(connection)
            return
        }
        let waiter: Waiter? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            if !state.closed { state.idle.append(connection) }
            return nil
        }
        if let waiter {
            waiter.continuation.resume(returning: connection)
        } else if state.withLock({ $0.closed }) {
            await discard(connection)
        }
    }

    /// Closes a connection found broken at checkout, saying so; the caller goes on with another.
    private func replaceBroken(_ connection: PostgresConnection) async {
        logger.info("replacing a broken PostgreSQL connection")
        await discard(connection)
    }

    private func discard(_ connection: PostgresConnection) async {
        await connection.close()
        state.withLock { $0.open -= 1 }
        wakeOneWaiter()
    }

    /// A slot came free: let one waiter open a new connection.
    private func wakeOneWaiter() {
        let waiter = state.withLock { state -> Waiter? in state.waiters.isEmpty ? nil : state.waiters.removeFirst() }
        waiter?.continuation.resume(returning: nil)
    }
}

extension PostgresConnection {
    /// Runs `body` inside `BEGIN … COMMIT`, rolling back when it throws.
    public nonisolated func withTransaction<T>(_ body: () async throws -> T) async throws -> T {
        try await withTransaction(begin: "BEGIN") { (try await body(), "") }
    }

    /// Runs `body` inside a transaction, rolling back when it throws, with fewer round trips: `begin` is a script that
    /// starts with `BEGIN` (e.g. `BEGIN; SAVEPOINT keys`), and `body` returns with its value a script (no values in it,
    /// possibly empty) that runs just before `COMMIT`, in the same round trip.
    public nonisolated func withTransaction<T>(begin: String, _ body: () async throws -> (T, beforeCommit: String)) async throws -> T {
        try await executeScript(begin)
        do {
            let (value, beforeCommit) = try await body()
            try await executeScript(beforeCommit.isEmpty ? "COMMIT" : beforeCommit + "; COMMIT")
            return value
        } catch {
            if await transactionStatus != .idle { try? await executeScript("ROLLBACK") }
            throw error
        }
    }
}
