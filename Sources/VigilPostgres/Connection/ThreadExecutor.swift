import Foundation
import Synchronization

/// A serial executor that runs every job on one dedicated OS thread.
///
/// libpq's calls block. An actor whose `unownedExecutor` is a `ThreadExecutor` runs its methods on
/// that thread, so a blocking call there stalls only that connection, never Swift's cooperative pool
/// (which has one thread per core: two on a small machine).
///
/// Lifecycle: the thread starts in `init` and ends after ``shutdown()``; jobs enqueued after
/// shutdown still run, on the last pass, so no continuation is left hanging.
final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    private struct State {
        var jobs: [UnownedJob] = []
        var head = 0
        var stopping = false
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)

    /// - Parameter name: the thread's name, as `top -H` and debuggers show it.
    init(name: String) {
        let thread = Thread { [self] in self.run() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        state.withLock { $0.jobs.append(job) }
        wakeup.signal()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Ends the thread once the jobs already enqueued have run.
    func shutdown() {
        state.withLock { $0.stopping = true }
        wakeup.signal()
    }

    private func run() {
        while true {
            wakeup.wait()
            while let job = nextJob() {
                job.runSynchronously(on: asUnownedSerialExecutor())
            }
            if state.withLock({ $0.stopping && $0.head >= $0.jobs.count }) { return }
        }
    }

    private func nextJob() -> UnownedJob? {
        state.withLock { state in
            guard state.head < state.jobs.count else { return nil }
            let job = state.jobs[state.head]
            state.head += 1
            if state.head > 1024, state.head * 2 > state.jobs.count {
                state.jobs.removeFirst(state.head)
                state.head = 0
            }
            return job
        }
    }
}
