import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A long-running child process of this binary (`vigil coordinator`, `vigil worker`, `vigil llm-sim`), spawned with
/// `posix_spawn` in a process group of its own so that a terminal's Ctrl-C reaches only the parent, which then stops
/// its children in order. Output goes to a log file. Exits are collected with `waitpid`.
///
/// Contract: every spawned process is either reaped by ``terminate(grace:)`` / ``exitStatus()`` or still running;
/// the owner must call ``terminate(grace:)`` before it exits so no child outlives it.
final class SupervisedProcess: Sendable {
    let name: String
    let pid: pid_t
    let logPath: String
    private let status = Mutex<Int32?>(nil)

    /// The running executable: `/proc/self/exe` when readable, else `CommandLine.arguments[0]`.
    static var currentExecutable: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if length > 0 {
            return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return CommandLine.arguments[0]
    }

    /// Starts `executable arguments…` with `environment`, standard input from /dev/null and both output streams
    /// appended to `logPath`. Signals ignored or blocked by this process are reset to their defaults in the child.
    /// - Throws: ``ClusterError`` with code `spawnFailed`.
    init(name: String, executable: String = SupervisedProcess.currentExecutable, arguments: [String], environment: [String: String],
         logPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let all = [executable] + arguments
        var argv = all.map { strdup($0) } + [nil]
        var envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
        guard spawned == 0 else {
            throw ClusterError(.spawnFailed, "could not start \(name) (\(executable)): \(String(cString: strerror(spawned)))")
        }
        self.name = name
        self.pid = pid
        self.logPath = logPath
    }

    /// The exit code (128 + signal when killed) if the process has exited, reaping it; nil while it runs.
    func exitStatus() -> Int32? {
        status.withLock { known in
            if let known { return known }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            guard result == pid else { return nil }
            known = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            return known
        }
    }

    var isRunning: Bool { exitStatus() == nil }

    /// Sends `signal` unless the process has been reaped.
    func send(_ signal: Int32) {
        guard status.withLock({ $0 }) == nil else { return }
        _ = kill(pid, signal)
    }

    /// SIGTERM, then waits up to `grace` for the process to exit (its own graceful shutdown), then SIGKILL; always
    /// reaps it. Returns the exit code (128 + signal when killed).
    @discardableResult
    func terminate(grace: Duration) async -> Int32 {
        if let code = exitStatus() { return code }
        send(SIGTERM)
        return await waitForExit(grace: grace)
    }

    /// Waits up to `grace` for an exit already asked for, then SIGKILLs and reaps the process.
    @discardableResult
    func waitForExit(grace: Duration) async -> Int32 {
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if let code = exitStatus() { return code }
            await Self.pause(milliseconds: 50)
        }
        send(SIGKILL)
        while true {
            if let code = exitStatus() { return code }
            await Self.pause(milliseconds: 20)
        }
    }

    /// Sleeps even when the calling task is cancelled (shutdown runs after a cancellation and must still wait).
    private static func pause(milliseconds: Int) async {
        if Task.isCancelled {
            usleep(UInt32(milliseconds * 1000))
        } else {
            try? await Task.sleep(for: .milliseconds(milliseconds))
        }
    }

    /// The last `bytes` of the log, for error messages.
    func logTail(bytes: Int = 2000) -> String {
        guard let data = FileManager.default.contents(atPath: logPath) else { return "" }
        return String(decoding: data.suffix(bytes), as: UTF8.self)
    }
}
