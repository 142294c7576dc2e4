import Synchronization

/// A counting semaphore for async code: at most `limit` holders at once, waiters served first come, first served.
/// A cancelled waiter leaves the queue and throws `CancellationError`.
public final class ConcurrencyLimit: Sendable {
    struct State {
        var available: Int
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
        var inUse = 0
        var peak = 0
    }

    public let limit: Int
    let state: Mutex<State>

    /// - Precondition: `limit > 0`.
    public init(limit: Int) {
        precondition(limit > 0, "a concurrency limit must be positive")
        self.limit = limit
        self.state = Mutex(State(available: limit))
    }

    /// The most holders there ever were at once.
    public var peak: Int { state.withLock { $0.peak } }

    /// Waits for a slot. Every successful call must be matched by one ``release()``.
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    public func acquire() async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Bool? = state.withLock { state in
                    if state.cancelled.remove(id) != nil { return false }
                    if state.available > 0 {
                        state.available -= 1
                        state.inUse += 1
                        state.peak = max(state.peak, state.inUse)
                        return true
                    }
                    state.waiters.append((id, continuation))
                    return nil
                }
                switch outcome {
                case true?: continuation.resume()
                case false?: continuation.resume(throwing: CancellationError())
                case nil: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                if let index = state.waiters.firstIndex(where: { $0.id == id }) { return state.waiters.remove(at: index).continuation }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume(throwing: CancellationError())
        }
        // A slot granted after cancellation was requested is kept: the caller owns it and releases it.
        state.withLock { _ = $0.cancelled.remove(id) }
    }

    /// Returns a slot, handing it to the longest waiter if there is one.
    public func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.waiters.isEmpty {
                state.available += 1
                state.inUse -= 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume()
    }
}
