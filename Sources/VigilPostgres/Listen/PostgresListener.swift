import CLibPQ
import Foundation
import Logging
import Synchronization

/// A notification received on a LISTEN channel.
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    public var backendPID: Int32
}

/// What a listener's stream delivers.
public enum PostgresListenerEvent: Sendable, Hashable {
    case notification(PostgresNotification)
    /// The first connection is up and every channel listened to: notifications sent from now on arrive. Anything
    /// announced before was missed, so consumers should poll once.
    case listening
    /// The connection was re-established (after a server restart, say) and every channel listened
    /// to again; notifications sent meanwhile were missed, so consumers should poll once.
    case reconnected
}

/// LISTEN on a dedicated connection, delivered as an `AsyncSequence`, surviving server restarts.
///
/// Lifecycle: ``run()`` owns the connection and must be running for events to arrive (run it as
/// a child task or a `Service`); it returns when its task is cancelled. ``events`` may be iterated
/// by one consumer.
public final class PostgresListener: Sendable {
    public let channels: [String]
    public let events: AsyncStream<PostgresListenerEvent>
    private let continuation: AsyncStream<PostgresListenerEvent>.Continuation
    private let configuration: PostgresConfiguration
    private let logger: Logger
    private let pollInterval: Duration
    private let onNotification: (@Sendable (PostgresNotification) -> Void)?

    /// - Parameters:
    ///   - channels: channel names (identifiers: letters, digits, `_`).
    ///   - pollInterval: how long one wait for input lasts before checking for cancellation (default 100 ms).
    ///   - onNotification: called with each notification on the listener's own thread as soon as it is read, for a
    ///     wake-up that must not wait for a task to be scheduled. It must return quickly and never block. With it,
    ///     notifications are not delivered to ``events`` (which then carries only ``PostgresListenerEvent/listening``
    ///     and ``PostgresListenerEvent/reconnected``): every notification would otherwise also wake the stream's
    ///     consumer, a task hop in each listening process per notification, most of them for nothing.
    public init(
        configuration: PostgresConfiguration,
        channels: [String],
        pollInterval: Duration = .milliseconds(100),
        logger: Logger = Logger(label: "vigil.postgres.listen"),
        onNotification: (@Sendable (PostgresNotification) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.channels = channels
        self.pollInterval = pollInterval
        self.logger = logger
        self.onNotification = onNotification
        (events, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
    }

    /// Connects, listens, and delivers events until cancelled; reconnects with backoff when the connection breaks.
    public func run() async {
        var backoff = Duration.milliseconds(50)
        var firstConnection = true
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration)
                for channel in channels {
                    try await connection.executeScript("LISTEN \(Self.quoteIdentifier(channel))")
                }
                continuation.yield(firstConnection ? .listening : .reconnected)
                firstConnection = false
                backoff = .milliseconds(50)
                await connection.deliverNotifications(to: continuation, pollInterval: pollInterval, onNotification: onNotification)
                await connection.close()
            } catch {
                logger.warning("LISTEN connection failed; retrying", metadata: ["error": "\(error)"])
            }
            if Task.isCancelled { break }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(2))
        }
        continuation.finish()
    }

    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension PostgresConnection {
    /// Waits for input and yields notifications until the connection breaks or the task is cancelled.
    func deliverNotifications(
        to continuation: AsyncStream<PostgresListenerEvent>.Continuation, pollInterval: Duration,
        onNotification: (@Sendable (PostgresNotification) -> Void)?
    ) async {
        let milliseconds = Int32(pollInterval.components.seconds * 1000 + pollInterval.components.attoseconds / 1_000_000_000_000_000)
        while !Task.isCancelled {
            guard let conn = try? requireHandle() else { return }
            var descriptor = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, max(milliseconds, 1))
            if ready < 0, errno != EINTR { return }
            if ready > 0 {
                if PQconsumeInput(conn) == 0 { return }
                while let notify = PQnotifies(conn) {
                    let event = notify.pointee
                    let notification = PostgresNotification(
                        channel: String(cString: event.relname),
                        payload: String(cString: event.extra),
                        backendPID: event.be_pid
                    )
                    PQfreemem(notify)
                    if let onNotification {
                        onNotification(notification)
                    } else {
                        continuation.yield(.notification(notification))
                    }
                }
            }
            if PQstatus(conn) != CONNECTION_OK { return }
            // Lets other work queued on this connection's thread run between polls.
            await Task.yield()
        }
    }
}
