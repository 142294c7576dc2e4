import VigilCore

/// The coordinator's settings. None is secret.
public struct CoordinatorConfiguration: Sendable {
    /// Address to listen on (default `127.0.0.1`).
    public var host: String
    /// Port to listen on (default 8080; 0 picks a free one).
    public var port: Int
    /// Largest request body accepted, in bytes (default 16 MiB); larger bodies get 413.
    public var maxBodyBytes: Int
    /// Ready plus running jobs above which ingest answers 429 (default 1,000,000).
    public var backlogHighWater: Int
    /// How often the backlog is measured (default 1 s).
    public var backlogInterval: Duration
    /// Seconds a client is told to wait in `Retry-After` when backpressured or the database is down (default 2).
    public var retryAfterSeconds: Int
    /// Limits applied to each ingest batch.
    public var ingest: IngestDecoder.Configuration
    /// Whether review-console cookies carry `Secure` (default true: serve the console over HTTPS, e.g. behind a
    /// TLS-terminating proxy; turn off only for plain-HTTP development on localhost).
    public var consoleSecureCookies: Bool = true
    /// How long a review-console session lasts after sign-in (default 8 h).
    public var consoleSessionLifetime: Duration = .seconds(8 * 3600)

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxBodyBytes: Int = 16 << 20,
        backlogHighWater: Int = 1_000_000,
        backlogInterval: Duration = .seconds(1),
        retryAfterSeconds: Int = 2,
        ingest: IngestDecoder.Configuration = IngestDecoder.Configuration()
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.backlogHighWater = backlogHighWater
        self.backlogInterval = backlogInterval
        self.retryAfterSeconds = retryAfterSeconds
        self.ingest = ingest
    }

    /// Checks the settings a start-up must refuse.
    public func validate() throws(CoordinatorError) {
        guard (0...65535).contains(port) else { throw CoordinatorError(.invalidConfiguration, "port must be 0…65535") }
        guard maxBodyBytes >= 1024 else { throw CoordinatorError(.invalidConfiguration, "maxBodyBytes must be at least 1024") }
        guard backlogHighWater >= 1 else { throw CoordinatorError(.invalidConfiguration, "backlogHighWater must be positive") }
        guard consoleSessionLifetime >= .seconds(60) else {
            throw CoordinatorError(.invalidConfiguration, "consoleSessionLifetime must be at least 60 s")
        }
        guard retryAfterSeconds >= 1 else { throw CoordinatorError(.invalidConfiguration, "retryAfterSeconds must be positive") }
        do { try ingest.validate() } catch { throw CoordinatorError(.invalidConfiguration, "ingest: \(error)") }
    }
}

/// An error starting or running the coordinator.
public struct CoordinatorError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        public static let invalidConfiguration = Code("invalidConfiguration")
        public static let clusterNotInitialised = Code("clusterNotInitialised")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "CoordinatorError(\(code)): \(message)" }
}
