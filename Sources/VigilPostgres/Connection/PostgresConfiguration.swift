import Foundation

/// How Vigil reaches PostgreSQL.
///
/// Connection settings are libpq's own: ``connectionString`` is a conninfo string
/// (`host=db1,db2 dbname=vigil target_session_attrs=read-write`) or a `postgresql://` URL, and
/// anything it leaves out comes from the standard `PG*` environment variables, `~/.pgpass` and
/// service files, exactly as for `psql`.
public struct PostgresConfiguration: Sendable {
    /// A conninfo string or URL; empty means libpq's environment defaults. May hold a password: secret.
    public var connectionString: String
    /// Most connections the pool opens (default 8).
    public var maxConnections: Int
    /// How long `withConnection` waits for a free connection before failing (default 10 s).
    public var acquireTimeout: Duration
    /// libpq's `connect_timeout` in seconds, used when the connection string sets none (default 10).
    public var connectTimeoutSeconds: Int
    /// The schema search path set on every connection, if any (tests isolate themselves this way).
    public var searchPath: String?
    /// `application_name` as `pg_stat_activity` shows it (default `vigil`).
    public var applicationName: String
    /// The server-side `statement_timeout` set on every connection (default nil: the server's own), so no
    /// statement can hold a caller longer than this. Ignored when the connection string sets `options`.
    public var statementTimeout: Duration?
    /// How long a statement (or a step of a COPY) may wait for the server's answer on the client side before the
    /// connection is abandoned (default nil: no bound). Unlike ``statementTimeout`` it also holds when the server
    /// has stopped answering altogether (a frozen host): the call then fails with `.noAnswer` and the pool drops
    /// the connection. Set it above ``statementTimeout``, so the server's own bound fires first when it can.
    public var clientTimeout: Duration?

    public init(
        connectionString: String = "",
        maxConnections: Int = 8,
        acquireTimeout: Duration = .seconds(10),
        connectTimeoutSeconds: Int = 10,
        searchPath: String? = nil,
        applicationName: String = "vigil"
    ) {
        self.connectionString = connectionString
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.searchPath = searchPath
        self.applicationName = applicationName
        self.statementTimeout = nil
        self.clientTimeout = nil
    }

    /// `DATABASE_URL` when set, else libpq's own defaults (`PGHOST`, `PGDATABASE`, …).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> PostgresConfiguration {
        PostgresConfiguration(connectionString: environment["DATABASE_URL"] ?? "")
    }

    /// Checks the values a start-up should refuse.
    public func validate() throws(PostgresError) {
        guard maxConnections >= 1 else {
            throw PostgresError(code: .connectionFailed, message: "maxConnections must be at least 1")
        }
        guard acquireTimeout > .zero else {
            throw PostgresError(code: .connectionFailed, message: "acquireTimeout must be positive")
        }
        if let clientTimeout, clientTimeout <= .zero {
            throw PostgresError(code: .connectionFailed, message: "clientTimeout must be positive")
        }
        if let searchPath, searchPath.contains(where: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "," || $0 == " ") }) {
            throw PostgresError(code: .connectionFailed, message: "searchPath may hold only schema names separated by commas")
        }
    }

    /// Keyword/value pairs for `PQconnectdbParams` with `expand_dbname`: the connection string is
    /// expanded first, and Vigil's own keywords apply only where it is silent.
    var connectParameters: [(String, String)] {
        var parameters: [(String, String)] = []
        if !connectionString.isEmpty { parameters.append(("dbname", connectionString)) }
        let lowered = connectionString.lowercased()
        if !lowered.contains("connect_timeout") { parameters.append(("connect_timeout", String(connectTimeoutSeconds))) }
        if !lowered.contains("application_name") { parameters.append(("application_name", applicationName)) }
        if let statementTimeout, !lowered.contains("options") {
            let (seconds, attoseconds) = statementTimeout.components
            let milliseconds = max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
            parameters.append(("options", "-c statement_timeout=\(milliseconds)"))
        }
        return parameters
    }
}
