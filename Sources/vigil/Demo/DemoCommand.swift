import ArgumentParser
import AsyncHTTPClient
import Foundation
import Synchronization
import VigilPostgres

#if canImport(Glibc)
import Glibc
#endif

/// `vigil demo`: the whole cluster on this machine, fed with real CloudTrail data, ending with a summary.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole cluster on this machine on real CloudTrail data and summarise the triage.",
        discussion: """
            Without DATABASE_URL (or --database-url) a private PostgreSQL is started under .vigil/postgres and kept for \
            the next run (--reset starts over). The LLM simulator (vigil llm-sim) is started unless a real provider is \
            configured: ANTHROPIC_API_KEY, or VIGIL_LLM_PROVIDER=openai with VIGIL_LLM_BASE_URL (or OPENAI_BASE_URL). \
            The coordinator, the simulator and the workers are child processes of this one; their logs are in \
            .vigil/logs. Ctrl-C stops everything at any point.
            """
    )

    @Option(
        name: .customLong("database-url"),
        help: "PostgreSQL to use instead of the private one (secret: may hold a password); defaults to DATABASE_URL.")
    var databaseURL: String?

    @Option(help: "The folder for Vigil's local state (the private PostgreSQL, logs).")
    var stateDirectory = ".vigil"

    @Option(help: "Worker processes.")
    var workers = 3

    @Option(help: "The data folder (default: ../shared/data, else the sample built into vigil).")
    var data: String?

    @Option(help: "Benign noise alerts mixed in.")
    var noise = 200

    @Option(help: "Alerts to ingest at most, sampled evenly from the detections, report rows and noise (0: all of them).")
    var alerts = 150

    @Option(help: "Simulator: median model latency in milliseconds (log-normal).")
    var llmLatencyMs = 800.0

    @Option(help: "Simulator: requests per minute it admits before answering 429.")
    var llmRpm = 6000

    @Option(help: "Model calls in flight per worker (vigil worker --llm-concurrency).")
    var llmConcurrency = 16

    @Option(help: "Alerts in flight per worker (vigil worker --max-in-flight); more than --llm-concurrency only queues in the worker.")
    var maxInFlight = 16

    @Option(help: "Seconds to wait for every verdict before giving up.")
    var timeout = 900.0

    @Option(help: "Escalations shown in the summary.")
    var top = 5

    @Flag(help: "Keep the cluster and the review console running after the summary, until Ctrl-C.")
    var serve = false

    @Flag(help: "Delete .vigil/ (the private PostgreSQL's data, logs) first and start over.")
    var reset = false

    func validate() throws {
        guard (1...64).contains(workers) else { throw ValidationError("--workers must be 1…64") }
        guard noise >= 0, alerts >= 0, timeout > 0, top >= 0 else {
            throw ValidationError("--noise, --alerts, --timeout and --top must not be negative")
        }
    }

    func run() async throws {
        let state = URL(fileURLWithPath: stateDirectory)
        let external = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let embedded = external == nil ? EmbeddedPostgres(root: state) : nil
        let interrupted = InterruptFlag()
        let session = DemoSession(command: self, state: state, externalDatabase: external, embedded: embedded)
        let work = Task { try await session.run(interrupted: interrupted) }
        let trap = SignalTrap { signal in
            if interrupted.set(signal) { DemoOutput.line("\n\(signal == SIGINT ? "Ctrl-C" : "SIGTERM"): stopping the cluster…") }
            work.cancel()
        }
        let result = await work.result
        await session.shutdown()
        trap.cancel()
        if let signal = interrupted.signal {
            DemoOutput.line("demo: stopped by \(signal == SIGINT ? "SIGINT" : "SIGTERM"); every child process has exited")
            throw ExitCode(128 + signal)
        }
        if case .failure(let error) = result {
            if error is ExitCode { throw error }
            DemoOutput.line("demo: FAILED: \(error)")
            throw ExitCode(1)
        }
    }
}

/// Records the first terminating signal.
final class InterruptFlag: Sendable {
    private let value = Mutex<Int32?>(nil)
    /// Returns true for the first signal.
    func set(_ signal: Int32) -> Bool { value.withLock { if $0 == nil { $0 = signal; return true }; return false } }
    var signal: Int32? { value.withLock { $0 } }
}

/// Output of `vigil demo`: whole lines on standard output, flushed at once (children write to log files only).
enum DemoOutput {
    static let isTerminal = isatty(1) == 1
    private static let pending = Mutex(false)

    /// Prints a line, first clearing a live progress line if one is showing.
    static func line(_ text: String) {
        pending.withLock { live in
            emit((live ? "\r\u{1B}[2K" : "") + text + "\n")
            live = false
        }
    }

    /// Writes straight to file descriptor 1 (unbuffered, so lines appear at once even in a pipe).
    private static func emit(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if written < 0 { if errno == EINTR { continue }; return }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Redraws the live progress line (terminals only).
    static func live(_ text: String) {
        pending.withLock { live in
            emit("\r\u{1B}[2K" + text)
            live = true
        }
    }
}
