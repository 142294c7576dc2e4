import CLibPQ
import Foundation
import Synchronization

/// One statement and its parameters.
public struct PostgresStatement: Sendable {
    public var sql: String
    public var parameters: [PostgresValue]
    /// Run as a named prepared statement, prepared once per connection (on first use, with this call's parameter
    /// types) and reused: the server parses, analyses and rewrites it once, not on every run. It is still planned on
    /// every run, for that run's parameters and the tables as they are then: every connection's session has
    /// `plan_cache_mode = force_custom_plan`, because a generic plan made while a queue table was empty goes on
    /// scanning it whole once it has filled (a claim took 55 ms with 100,000 jobs queued). For hot statements run
    /// many times on long-lived connections. Default false.
    public var prepared = false

    public init(_ sql: String, _ parameters: [any PostgresEncodable] = [], prepared: Bool = false) {
        self.sql = sql
        self.parameters = parameters.map(\.postgresValue)
        self.prepared = prepared
    }

    public init(sql: String, values: [PostgresValue]) {
        self.sql = sql
        self.parameters = values
    }
}

/// One PostgreSQL connection, owned by its own thread.
///
/// Every method runs on the connection's dedicated thread (the actor's executor is a
/// `ThreadExecutor`), so libpq's blocking calls never occupy Swift's cooperative pool.
/// Statements are parameterised (`PQexecParams`); cancelling the calling task sends `PQcancel`
/// for the running statement.
///
/// Lifecycle: ``connect(_:)`` opens it; ``close()`` closes it and ends its thread. A connection is
/// used by one task at a time: take it from a ``PostgresPool`` rather than sharing it.
public actor PostgresConnection {
    nonisolated let executor: ThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private var handle: OpaquePointer?
    private let canceller = Canceller()
    /// The client-side bound on each blocking call, when the configuration sets one.
    private var answerDeadline: AnswerDeadline?
    /// The names of the statements prepared on this connection, by SQL text.
    var preparedNames: [String: String] = [:]
    /// The server's version number (`150018` for 15.18).
    public private(set) var serverVersion: Int = 0
    /// The server process serving this connection.
    public private(set) var backendPID: Int32 = 0

    private init(name: String) {
        executor = ThreadExecutor(name: name)
    }

    /// Opens a connection and prepares its session (UTC, ISO dates, hex bytea, the search path).
    ///
    /// - Throws: ``PostgresError`` `.connectionFailed` with libpq's message (which names the host, never the password).
    public static func connect(_ configuration: PostgresConfiguration) async throws(PostgresError) -> PostgresConnection {
        try configuration.validate()
        let connection = PostgresConnection(name: "vigil-pg")
        do {
            try await connection.open(configuration)
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    private func open(_ configuration: PostgresConfiguration) throws(PostgresError) {
        let parameters = configuration.connectParameters
        let keywords = parameters.map { strdup($0.0) } + [nil]
        let values = parameters.map { strdup($0.1) } + [nil]
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let conn = keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { keywordPointers in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
                PQconnectdbParams(keywordPointers.baseAddress, valuePointers.baseAddress, 1)
            }
        }
        handle = conn
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { Self.errorMessage($0) } ?? "out of memory"
            throw PostgresError(code: .connectionFailed, message: message)
        }
        PQsetClientEncoding(conn, "UTF8")
        // Server notices ("drop cascades to …") can quote object names and values: never print them.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        serverVersion = Int(PQserverVersion(conn))
        backendPID = PQbackendPID(conn)
        canceller.set(PQgetCancel(conn))
        if let timeout = configuration.clientTimeout {
            let deadline = AnswerDeadline(timeout: timeout)
            AnswerWatchdog.shared.watch(deadline)
            answerDeadline = deadline
        }
        var setup = """
            SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET bytea_output = 'hex'; SET IntervalStyle = 'iso_8601'; \
            SET plan_cache_mode = force_custom_plan;
            """
        if let searchPath = configuration.searchPath { setup += " SET search_path = \(searchPath);" }
        try executeScript(setup)
    }

    /// Closes the connection and ends its thread. Safe to call twice.
    public func close() {
        canceller.set(nil)
        if let handle { PQfinish(handle) }
        handle = nil
        executor.shutdown()
    }

    /// Whether the connection is usable, checked without a round trip: a closed socket or a
    /// termination notice from the server (which a restart sends) shows as unhealthy.
    public func isHealthy() -> Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        let socket = PQsocket(handle)
        guard socket >= 0 else { return false }
        // Idle connections receive nothing unless the server is leaving (a termination notice, then
        // end of file) or sent a NOTIFY: read what is there until the socket is quiet or closed.
        for _ in 0..<8 {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 0) > 0 else { break }
            if descriptor.revents & Int16(POLLHUP | POLLERR) != 0 { return false }
            if PQconsumeInput(handle) == 0 { return false }
            while let notify = PQnotifies(handle) { PQfreemem(notify) }
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Whether a transaction is open (or failed and awaiting ROLLBACK) on this connection.
    public var transactionStatus: PostgresTransactionStatus {
        guard let handle else { return .unknown }
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_ACTIVE: return .active
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .failed
        default: return .unknown
        }
    }

    // MARK: Statements

    /// Runs one parameterised statement and returns its rows.
    ///
    /// - Throws: ``PostgresError``: `.server` with SQLSTATE for rejected statements,
    ///   `.connectionClosed` when the connection broke, `.cancelled` when the task was cancelled.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws(PostgresError) -> PostgresResult {
        try await run(PostgresStatement(sql, parameters))
    }

    /// Runs one statement given as ``PostgresStatement``.
    @discardableResult
    public func run(_ statement: PostgresStatement) async throws(PostgresError) -> PostgresResult {
        try await cancellable(statement.sql) { (connection) throws(PostgresError) -> PostgresResult in try connection.execute(statement) }
    }

    /// Runs `statement` when the connection ``isHealthy()`` (checked before anything is sent), and reports the
    /// transaction status it leaves, all in one visit to the connection's thread: the pool's one-statement path, which
    /// would otherwise visit it three times (check out, run, hand back), each a thread wake-up on an idle machine.
    ///
    /// - Returns: nil when the connection is not healthy: nothing was sent.
    func runIfHealthy(_ statement: PostgresStatement) async throws(PostgresError) -> (PostgresResult, PostgresTransactionStatus)? {
        try await cancellable(statement.sql) { (connection) throws(PostgresError) -> (PostgresResult, PostgresTransactionStatus)? in
            guard connection.isHealthy() else { return nil }
            return (try connection.execute(statement), connection.transactionStatus)
        }
    }

    /// Sends `statement` and waits for its answer, on the connection's thread.
    private func execute(_ statement: PostgresStatement) throws(PostgresError) -> PostgresResult {
        let conn = try requireHandle()
        if statement.prepared {
            let name = try prepare(statement, on: conn)
            let result = Self.withParameters(statement.parameters) { count, _, values, lengths, formats in
                PQexecPrepared(conn, name, count, values, lengths, formats, 0)
            }
            return try check(result, sql: statement.sql)
        }
        let result = Self.withParameters(statement.parameters) { count, types, values, lengths, formats in
            PQexecParams(conn, statement.sql, count, types, values, lengths, formats, 0)
        }
        return try check(result, sql: statement.sql)
    }

    /// The name `statement` is prepared under on this connection, preparing it first when it is new here.
    func prepare(_ statement: PostgresStatement, on conn: OpaquePointer) throws(PostgresError) -> String {
        if let name = preparedNames[statement.sql] { return name }
        let name = "vigil_\(preparedNames.count + 1)"
        let result = Self.withParameters(statement.parameters) { count, types, _, _, _ in
            PQprepare(conn, name, statement.sql, count, types)
        }
        _ = try check(result, sql: statement.sql)
        preparedNames[statement.sql] = name
        return name
    }

    /// Runs SQL text of one or more statements without parameters (simple query protocol): for
    /// migrations and session set-up only. Values never go in this text.
    public func executeScript(_ sql: String) throws(PostgresError) {
        let conn = try requireHandle()
        _ = try check(PQexec(conn, sql), sql: sql)
    }

    // MARK: Internals shared by the feature extensions

    func requireHandle() throws(PostgresError) -> OpaquePointer {
        guard let handle else { throw PostgresError(code: .connectionClosed, message: "the connection is closed") }
        return handle
    }

    /// Runs `operation` (blocking libpq work) on this connection's thread, sending `PQcancel` if the
    /// task is cancelled meanwhile.
    ///
    /// The operation is reached through an `await` on the actor, never run inside the cancellation
    /// handler's closure itself: that closure is nonisolated and would run on the cooperative pool.
    func cancellable<T: Sendable>(
        _ sql: String,
        _ operation: @Sendable (isolated PostgresConnection) throws(PostgresError) -> T
    ) async throws(PostgresError) -> T {
        if Task.isCancelled { throw PostgresError(code: .cancelled, message: "the task was cancelled before the statement ran", query: sql) }
        let canceller = self.canceller
        let outcome: Result<T, PostgresError> = await withTaskCancellationHandler {
            await self.perform(sql, operation)
        } onCancel: {
            canceller.cancel()
        }
        switch outcome {
        case .success(let value): return value
        case .failure(var error):
            if error.sqlState == PostgresError.SQLState.queryCanceled, Task.isCancelled { error.code = .cancelled }
            throw error
        }
    }

    private func perform<T>(
        _ sql: String, _ operation: (isolated PostgresConnection) throws(PostgresError) -> T
    ) -> Result<T, PostgresError> {
        Result { () throws(PostgresError) -> T in try awaitingAnswer(sql: sql) { () throws(PostgresError) -> T in try operation(self) } }
    }

    /// Runs blocking libpq work under the connection's client timeout, if it has one: when the server has not
    /// answered in time the socket is shut down, and the call fails with `.noAnswer` whatever libpq said.
    func awaitingAnswer<T>(sql: String?, _ body: () throws(PostgresError) -> T) throws(PostgresError) -> T {
        let deadline = armAnswerDeadline()
        let outcome = Result { () throws(PostgresError) -> T in try body() }
        try Self.checkAnswered(deadline, sql: sql)
        return try outcome.get()
    }

    /// Starts the client timeout's clock for one blocking call; nil when the connection has no timeout.
    func armAnswerDeadline() -> AnswerDeadline? {
        guard let deadline = answerDeadline, let handle else { return nil }
        deadline.arm(socket: PQsocket(handle))
        return deadline
    }

    /// Stops the clock armed by ``armAnswerDeadline()``; throws `.noAnswer` if it fired during the call.
    static func checkAnswered(_ deadline: AnswerDeadline?, sql: String?) throws(PostgresError) {
        guard let deadline, deadline.disarm() else { return }
        throw PostgresError(code: .noAnswer, message: "PostgreSQL did not answer within \(deadline.timeout); the connection was closed", query: sql)
    }

    /// Turns a `PGresult` into rows or a thrown error; takes ownership of `result`.
    func check(_ result: OpaquePointer?, sql: String) throws(PostgresError) -> PostgresResult {
        guard let result else {
            throw connectionError(sql: sql)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            return PostgresResult(handle: result)
        case PGRES_PIPELINE_ABORTED:
            PQclear(result)
            throw PostgresError(code: .pipelineAborted, message: "not run: an earlier statement of the pipeline failed", query: sql)
        default:
            let error = Self.serverError(result, sql: sql, connectionBroken: handle.map { PQstatus($0) != CONNECTION_OK } ?? true)
            PQclear(result)
            throw error
        }
    }

    func connectionError(sql: String?) -> PostgresError {
        let message = handle.map { Self.errorMessage($0) } ?? "the connection is closed"
        let broken = handle.map { PQstatus($0) != CONNECTION_OK } ?? true
        return PostgresError(code: broken ? .connectionClosed : .protocolViolation, message: message, query: sql)
    }

    static func serverError(_ result: OpaquePointer, sql: String?, connectionBroken: Bool) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let value = PQresultErrorField(result, code) else { return nil }
            return String(cString: value)
        }
        let sqlState = field(Int32(UInt8(ascii: "C")))
        let primary = field(Int32(UInt8(ascii: "M"))) ?? String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        return PostgresError(
            code: connectionBroken && (sqlState == nil || sqlState!.hasPrefix("57P") || sqlState!.hasPrefix("08")) ? .connectionClosed : .server,
            message: primary,
            sqlState: sqlState,
            severity: field(Int32(UInt8(ascii: "V"))) ?? field(Int32(UInt8(ascii: "S"))),
            detail: field(Int32(UInt8(ascii: "D"))),
            hint: field(Int32(UInt8(ascii: "H"))),
            constraint: field(Int32(UInt8(ascii: "n"))),
            table: field(Int32(UInt8(ascii: "t"))),
            column: field(Int32(UInt8(ascii: "c"))),
            query: sql
        )
    }

    static func errorMessage(_ conn: OpaquePointer) -> String {
        String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Lays parameters out as libpq's parallel C arrays for the duration of `body`.
    static func withParameters<R>(
        _ parameters: [PostgresValue],
        _ body: (Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
    ) -> R {
        var types: [Oid] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        types.reserveCapacity(parameters.count)
        for parameter in parameters {
            switch parameter {
            case .null:
                types.append(0)
                lengths.append(0)
                formats.append(0)
                buffers.append(nil)
            case .text(let text, let oid):
                types.append(oid)
                lengths.append(0)
                formats.append(0)
                buffers.append(strdup(text))
            case .binary(let bytes, let oid):
                types.append(oid)
                lengths.append(Int32(bytes.count))
                formats.append(1)
                let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
                bytes.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: bytes.count) }
                }
                buffers.append(buffer)
            }
        }
        defer {
            for (buffer, parameter) in zip(buffers, parameters) {
                if case .binary = parameter { buffer?.deallocate() } else { free(buffer) }
            }
        }
        let values = buffers.map { UnsafePointer($0) }
        return types.withUnsafeBufferPointer { t in
            values.withUnsafeBufferPointer { v in
                lengths.withUnsafeBufferPointer { l in
                    formats.withUnsafeBufferPointer { f in
                        body(Int32(parameters.count), t.baseAddress, v.baseAddress, l.baseAddress, f.baseAddress)
                    }
                }
            }
        }
    }
}

/// The state of the transaction on a connection.
public enum PostgresTransactionStatus: Sendable {
    case idle
    case active
    case inTransaction
    case failed
    case unknown
}

/// Holds libpq's cancel object so another thread can cancel the running statement.
final class Canceller: Sendable {
    private struct Box: @unchecked Sendable { var pointer: OpaquePointer? }
    private let state = Mutex(Box(pointer: nil))

    func set(_ pointer: OpaquePointer?) {
        state.withLock { box in
            if let old = box.pointer { PQfreeCancel(old) }
            box.pointer = pointer
        }
    }

    func cancel() {
        state.withLock { box in
            guard let pointer = box.pointer else { return }
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(pointer, &buffer, 256)
        }
    }
}
