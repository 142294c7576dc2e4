import Foundation
import Synchronization
import Testing

@testable import VigilWorker

/// The claim loop's and completion writer's wake-up: signals coalesce, a signal wakes a current wait at once, the
/// timeout ends a wait nobody signals, cancellation ends it, and no finished wait leaves state behind. Waits that a
/// signal or cancellation should end have a 120 s timeout and must end within 60 s: far from the timeout, and far
/// from what a loaded CI machine running every suite at once can delay a task by.
@Suite(.serialized)
struct WakeSignalTests {
    @Test func aSignalWithNobodyWaitingEndsTheNextWaitAtOnceAndOnlyThatOne() async {
        let signal = WakeSignal()
        signal.signal()
        signal.signal()
        let clock = ContinuousClock()
        let first = await clock.measure { await signal.wait(timeout: .seconds(120)) }
        #expect(first < .seconds(60))
        // The two signals coalesced into one: the next wait runs to its timeout.
        let second = await clock.measure { await signal.wait(timeout: .milliseconds(200)) }
        #expect(second >= .milliseconds(200))
        #expect(signal.activeWaits == 0)
    }

    @Test func aSignalWakesACurrentWaitLongBeforeItsTimeout() async {
        let signal = WakeSignal()
        let clock = ContinuousClock()
        let started = clock.now
        async let waited: Void = signal.wait(timeout: .seconds(120))
        // Signal only once the wait is stored (or armed), so this tests waking, not the pending flag.
        while signal.activeWaits == 0 { try? await Task.sleep(for: .milliseconds(1)) }
        signal.signal()
        await waited
        #expect(started.duration(to: clock.now) < .seconds(60))
        #expect(signal.activeWaits == 0)
    }

    @Test func oneSignalWakesEveryCurrentWait() async {
        let signal = WakeSignal()
        let clock = ContinuousClock()
        let started = clock.now
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { await signal.wait(timeout: .seconds(120)) } }
            while signal.activeWaits < 8 { try? await Task.sleep(for: .milliseconds(1)) }
            signal.signal()
        }
        #expect(started.duration(to: clock.now) < .seconds(60))
        #expect(signal.activeWaits == 0)
    }

    @Test func cancellingTheWaitingTaskEndsTheWait() async {
        let signal = WakeSignal()
        let clock = ContinuousClock()
        let started = clock.now
        let task = Task { await signal.wait(timeout: .seconds(120)) }
        while signal.activeWaits == 0 { try? await Task.sleep(for: .milliseconds(1)) }
        task.cancel()
        await task.value
        #expect(started.duration(to: clock.now) < .seconds(60))
        #expect(signal.activeWaits == 0)
    }

    @Test func manyWaitsEndedEveryWayLeaveNothingBehind() async {
        let signal = WakeSignal()
        for round in 0..<200 {
            switch round % 3 {
            case 0:
                signal.signal()
                await signal.wait(timeout: .seconds(120))
            case 1:
                await signal.wait(timeout: .microseconds(1))
            default:
                async let waited: Void = signal.wait(timeout: .seconds(120))
                while signal.activeWaits == 0 { await Task.yield() }
                signal.signal()
                await waited
            }
        }
        #expect(signal.activeWaits == 0)
    }
}

/// A serial executor that counts the jobs given to it (run on a serial dispatch queue).
private final class CountingExecutor: SerialExecutor, @unchecked Sendable {
    private let queue = DispatchQueue(label: "vigil.test.counting-executor")
    let enqueued = Mutex(0)

    func enqueue(_ job: consuming ExecutorJob) {
        enqueued.withLock { $0 += 1 }
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
    }
}

/// An actor on a ``CountingExecutor``.
private actor OnCountingExecutor {
    let executor = CountingExecutor()
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Waits on `signal` and returns how many jobs this actor's executor was given meanwhile.
    func jobsWhileWaiting(on signal: WakeSignal) async -> Int {
        let before = executor.enqueued.withLock { $0 }
        await signal.wait(timeout: .seconds(120))
        return executor.enqueued.withLock { $0 } - before
    }
}

/// The claim loop waits on its connection's thread, and a wake-up must resume it there without a detour through the
/// global executor (a thread wake-up on the commit-to-claim path): `wait` runs on its caller's executor.
@Suite struct WakeSignalIsolationTests {
    @Test func aWaitOnAnActorStaysOnItsExecutor() async {
        let signal = WakeSignal()
        let actor = OnCountingExecutor()
        // A pending signal: the wait returns without suspending. Run on the caller's executor, that is no job at all;
        // run on the global executor, it would be a hop there and one back (a job for the actor's executor).
        signal.signal()
        #expect(await actor.jobsWhileWaiting(on: signal) == 0)
    }
}
