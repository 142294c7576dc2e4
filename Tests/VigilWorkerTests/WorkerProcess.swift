import Foundation
import Testing
import VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A `vigil worker` child process, spawned with `posix_spawn` (Foundation's `Process.waitUntilExit` hangs
/// in test threads here); output goes to a log file, and exits are collected with `waitpid` on a thread.
final class WorkerProcess: @unchecked Sendable {
    let pid: pid_t
    let logPath: String
    private var exitStatus: Int32?

    /// The `vigil` binary built beside the test bundle (any scratch path: `.build`, `.build-<name>`).
    static var binary: String {
        get throws {
            let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            var candidates = [beside.appendingPathComponent("vigil").path]
            // swift-testing's runner may live inside the .xctest bundle.
            candidates.append(beside.deletingLastPathComponent().appendingPathComponent("vigil").path)
            if let override = ProcessInfo.processInfo.environment["VIGIL_BINARY"] { candidates.insert(override, at: 0) }
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                throw QueueTestError("no vigil binary beside the tests (looked at \(candidates)); build it first: swift build")
            }
            return found
        }
    }

    /// Starts `vigil worker` with `arguments` against `databaseURL`.
    init(databaseURL: String, arguments: [String]) throws {
        let binary = try Self.binary
        logPath = NSTemporaryDirectory() + "vigil-worker-\(UUID().uuidString.prefix(8)).log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        let all = [binary, "worker", "--triage", "placeholder"] + arguments
        var argv = all.map { strdup($0) } + [nil]
        var envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, binary, &actions, nil, &argv, &envp)
        guard spawned == 0 else { throw QueueTestError("posix_spawn \(binary) failed: \(String(cString: strerror(spawned)))") }
        self.pid = pid
    }

    /// Runs `body` with `vigil worker` started with `arguments` against `databaseURL`, then kills it if it is still
    /// running, after a return and after a throw alike (then rethrows).
    static func with<T>(databaseURL: String, arguments: [String], _ body: (WorkerProcess) async throws -> T) async throws -> T {
        try await withCleanup(WorkerProcess(databaseURL: databaseURL, arguments: arguments), cleanup: { await $0.kill() }, body)
    }

    func signal(_ signal: Int32) {
        Glibc.kill(pid, signal)
    }

    /// Waits (on a thread of its own) for the process to exit; returns its exit code, or 128 + signal.
    func waitForExit() async -> Int32 {
        if let exitStatus { return exitStatus }
        let pid = pid
        let code = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            Thread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                continuation.resume(returning: (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F))
            }.start()
        }
        exitStatus = code
        return code
    }

    /// SIGKILLs and reaps the process if it is still running.
    func kill() async {
        if exitStatus == nil {
            signal(SIGCONT)
            signal(SIGKILL)
            _ = await waitForExit()
        }
    }

    /// The SQL pattern matching this process's worker id (`host:pid:random`).
    var idPattern: String { "%:\(pid):%" }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
