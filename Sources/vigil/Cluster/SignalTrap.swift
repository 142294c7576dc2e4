import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Catches SIGINT and SIGTERM for a command that supervises children and must stop them in order: the signals no
/// longer kill the process; `handler` runs (on a dispatch queue) for each one received.
///
/// Lifecycle: keep the trap alive for as long as the signals should be caught; ``cancel()`` restores the defaults.
final class SignalTrap {
    private let sources: [any DispatchSourceSignal]
    private let signals: [Int32]

    init(signals: [Int32] = [SIGINT, SIGTERM], handler: @escaping @Sendable (Int32) -> Void) {
        self.signals = signals
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
        for number in signals { signal(number, SIG_DFL) }
    }
}
