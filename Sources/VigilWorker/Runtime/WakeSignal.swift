import Synchronization

/// A level-triggered wake-up between tasks: ``signal()`` wakes a current ``wait(timeout:)``, or the next one
/// when nobody waits (signals coalesce).
///
/// A signal resumes the waiting task directly (one hop to the executor): the claim loop's wake-up on a
/// notification is on the commit-to-claim path. The timeout is a separate sleeping task, cancelled when the
/// wait ends otherwise.
final class WakeSignal: Sendable {
    /// One wait in progress.
    private enum Waiter {
        /// The wait has an id but its continuation is not stored yet.
        case armed
        /// A signal, the timeout or cancellation came before the continuation was stored: the wait returns at once.
        case fired
        case waiting(CheckedContinuation<Void, Never>)
    }

    private struct State {
        var pending = false
        var waiters: [Int: Waiter] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    init() {}

    /// Wakes every waiter, or the next wait when none is waiting.
    func signal() {
        let resumed = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.waiters.isEmpty else {
                state.pending = true
                return []
            }
            var resumed: [CheckedContinuation<Void, Never>] = []
            for (id, waiter) in state.waiters {
                switch waiter {
                case .waiting(let continuation):
                    resumed.append(continuation)
                    state.waiters[id] = nil
                case .armed:
                    state.waiters[id] = .fired
                case .fired:
                    break
                }
            }
            return resumed
        }
        for continuation in resumed { continuation.resume() }
    }

    /// Returns at the next signal (at once if one is pending), after `timeout`, or when the task is cancelled.
    ///
    /// Runs on the caller's executor and resumes there: the claim loop waits on its connection's thread, so that a
    /// signal wakes that thread and the claim is sent from it, without a hop through the global executor first.
    nonisolated(nonsending) func wait(timeout: Duration) async {
        let id = state.withLock { state -> Int? in
            if state.pending {
                state.pending = false
                return nil
            }
            state.nextID += 1
            state.waiters[state.nextID] = .armed
            return state.nextID
        }
        guard let id else { return }
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { fire(id) }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    guard case .armed = state.waiters[id], !Task.isCancelled else {
                        state.waiters[id] = nil
                        return true
                    }
                    state.waiters[id] = .waiting(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            fire(id)
        }
        timer.cancel()
    }

    /// How many waits are in progress (for tests: a finished wait leaves nothing behind).
    var activeWaits: Int { state.withLock { $0.waiters.count } }

    /// Ends wait `id`: resumes it when it is waiting, makes it return at once when its continuation is not stored
    /// yet; nothing when it has ended.
    private func fire(_ id: Int) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            switch state.waiters[id] {
            case .waiting(let continuation):
                state.waiters[id] = nil
                return continuation
            case .armed:
                state.waiters[id] = .fired
                return nil
            case .fired, nil:
                return nil
            }
        }
        continuation?.resume()
    }
}
