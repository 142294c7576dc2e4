import CLibPQ
import Foundation
import Synchronization

/// A client-side bound on how long one blocking libpq call may wait for the server.
///
/// PostgreSQL's own `statement_timeout` cannot fire when the server itself has stopped answering (a frozen
/// host, a SIGSTOPped postmaster, a network path that drops packets without a reset): the kernel still
/// accepts the bytes, so libpq waits forever. A connection with a deadline arms it around every blocking
/// call; ``AnswerWatchdog`` shuts the socket down when an armed deadline passes, which makes libpq return
/// at once with the connection broken. The caller gets ``PostgresError/Code-swift.struct/noAnswer`` and
/// the pool drops the connection; the server rolls back whatever the statement had started.
///
/// Arming and firing take the same lock, so once ``disarm()`` has returned the socket is never shut down
/// for that call.
final class AnswerDeadline: Sendable {
    private struct State {
        var socket: Int32 = -1
        var deadline: ContinuousClock.Instant?
        var fired = false
    }

    /// How long a call may wait.
    let timeout: Duration
    private let state = Mutex(State())

    init(timeout: Duration) {
        self.timeout = timeout
    }

    /// Starts the clock for one call on `socket`.
    func arm(socket: Int32) {
        state.withLock { state in
            state.socket = socket
            state.deadline = .now + timeout
            state.fired = false
        }
    }

    /// Stops the clock; returns whether the deadline fired (the socket was shut down) during the call.
    @discardableResult
    func disarm() -> Bool {
        state.withLock { state in
            state.deadline = nil
            return state.fired
        }
    }

    /// Shuts the socket down if the armed deadline has passed at `now`. Called by the watchdog.
    func expire(at now: ContinuousClock.Instant) {
        state.withLock { state in
            guard let deadline = state.deadline, now >= deadline, !state.fired, state.socket >= 0 else { return }
            state.fired = true
            _ = shutdown(state.socket, Int32(SHUT_RDWR))
        }
    }
}

/// The one thread per process that fires expired ``AnswerDeadline``s, ten times a second.
///
/// It starts with the first connection that has a deadline and holds its deadlines weakly: a closed
/// connection's deadline leaves the list on the next pass.
final class AnswerWatchdog: Sendable {
    static let shared = AnswerWatchdog()

    private struct Entry: @unchecked Sendable { weak var deadline: AnswerDeadline? }
    private struct State {
        var entries: [Entry] = []
        var started = false
    }

    private let state = Mutex(State())

    func watch(_ deadline: AnswerDeadline) {
        let start = state.withLock { state in
            state.entries.append(Entry(deadline: deadline))
            defer { state.started = true }
            return !state.started
        }
        guard start else { return }
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.1)
                self.pass()
            }
        }
        thread.name = "vigil-pg-watchdog"
        thread.stackSize = 256 << 10
        thread.start()
    }

    private func pass() {
        let now = ContinuousClock.now
        let live = state.withLock { state in
            state.entries.removeAll { $0.deadline == nil }
            return state.entries.compactMap(\.deadline)
        }
        for deadline in live { deadline.expire(at: now) }
    }
}
