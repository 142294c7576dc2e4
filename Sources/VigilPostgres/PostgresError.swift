/// An error from PostgreSQL or from Vigil's client.
///
/// Callers match ``code`` (and, for server errors, ``sqlState``). `description` carries the code,
/// SQLSTATE, severity, the server's message and the constraint, never parameter values or row data;
/// the query text and the server's `DETAIL` (which can quote row values) are in `debugDescription` only.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The connection could not be opened.
        public static let connectionFailed = Code("connectionFailed")
        /// The connection broke during or before a statement (server restart, network).
        public static let connectionClosed = Code("connectionClosed")
        /// The server did not answer within the configured client timeout; the connection was closed.
        public static let noAnswer = Code("noAnswer")
        /// The server rejected a statement; see ``sqlState``.
        public static let server = Code("server")
        /// A column's value could not be decoded into the requested Swift type.
        public static let decoding = Code("decoding")
        /// The statement was cancelled because its task was.
        public static let cancelled = Code("cancelled")
        /// No connection became free within the pool's acquisition timeout.
        public static let poolTimeout = Code("poolTimeout")
        /// The pool was shut down.
        public static let poolClosed = Code("poolClosed")
        /// libpq reported a protocol-level failure (pipeline, COPY, unexpected result).
        public static let protocolViolation = Code("protocolViolation")
        /// A statement of a pipeline did not run because an earlier one failed.
        public static let pipelineAborted = Code("pipelineAborted")
        /// A migration could not be applied, or the database is newer than this binary.
        public static let migration = Code("migration")
    }

    public var code: Code
    /// A human-readable message, without payload.
    public var message: String
    /// The five-character SQLSTATE, for server errors.
    public var sqlState: String?
    /// `ERROR`, `FATAL`, `PANIC`, …
    public var severity: String?
    /// The server's `DETAIL`: may quote row values, so only in `debugDescription`.
    public var detail: String?
    public var hint: String?
    /// The violated constraint's name, if any.
    public var constraint: String?
    public var table: String?
    public var column: String?
    /// The statement's text, for `debugDescription` only.
    public var query: String?
    public var file: String
    public var line: Int

    public init(
        code: Code,
        message: String,
        sqlState: String? = nil,
        severity: String? = nil,
        detail: String? = nil,
        hint: String? = nil,
        constraint: String? = nil,
        table: String? = nil,
        column: String? = nil,
        query: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.severity = severity
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.table = table
        self.column = column
        self.query = query
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "PostgresError(\(code)"
        if let sqlState { text += ", sqlState: \(sqlState)" }
        if let severity { text += ", severity: \(severity)" }
        if let constraint { text += ", constraint: \(constraint)" }
        if let column { text += ", column: \(column)" }
        text += "): \(message)"
        return text
    }

    public var debugDescription: String {
        var text = description
        if let detail { text += "\nDETAIL: \(detail)" }
        if let hint { text += "\nHINT: \(hint)" }
        if let query { text += "\nQUERY: \(query)" }
        text += "\nat \(file):\(line)"
        return text
    }
}

extension PostgresError {
    /// Well-known SQLSTATEs.
    public enum SQLState {
        public static let uniqueViolation = "23505"
        public static let foreignKeyViolation = "23503"
        public static let notNullViolation = "23502"
        public static let checkViolation = "23514"
        public static let syntaxError = "42601"
        public static let undefinedTable = "42P01"
        public static let queryCanceled = "57014"
        public static let adminShutdown = "57P01"
        public static let serializationFailure = "40001"
        public static let deadlockDetected = "40P01"
        public static let readOnlySQLTransaction = "25006"
    }

    public var isUniqueViolation: Bool { sqlState == SQLState.uniqueViolation }

    /// PostgreSQL broke a lock cycle by aborting this transaction; running it again can succeed.
    public var isDeadlock: Bool { sqlState == SQLState.deadlockDetected }
}
