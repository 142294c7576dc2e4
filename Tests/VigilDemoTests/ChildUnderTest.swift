import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

struct DemoTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A child process of a test, spawned with `posix_spawn` (Foundation's `Process.waitUntilExit` hangs in test
/// threads here), output to a log file, exits collected with `waitpid` on a thread of its own.
final class ChildUnderTest: @unchecked Sendable {
    let pid: pid_t
    let logPath: String

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The `vigil` binary built beside the test bundle (any scratch path), or `VIGIL_BINARY`.
    static var vigil: String {
        get throws {
            let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            var candidates = [beside.appendingPathComponent("vigil").path, beside.deletingLastPathComponent().appendingPathComponent("vigil").path]
            if let override = ProcessInfo.processInfo.environment["VIGIL_BINARY"] { candidates.insert(override, at: 0) }
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                throw DemoTestError("no vigil binary beside the tests (looked at \(candidates)); build it first: swift build")
            }
            return found
        }
    }

    /// Starts `arguments` (the first a path, or a name looked up on PATH) with `environment`.
    init(_ arguments: [String], environment: [String: String]) throws {
        logPath = NSTemporaryDirectory() + "vigil-demo-test-\(UUID().uuidString.prefix(8)).log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv = arguments.map { strdup($0) } + [nil]
        var envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, &argv, &envp)
        guard spawned == 0 else { throw DemoTestError("posix_spawn \(arguments[0]) failed: \(String(cString: strerror(spawned)))") }
        self.pid = pid
    }

    /// Waits for the exit (128 + signal when killed); SIGKILLs the process after `timeout` and returns nil.
    func waitForExit(timeout: Duration) async -> Int32? {
        let pid = pid
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        return nil
    }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Runs `arguments` to completion and returns its output; throws on a non-zero exit.
    static func run(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
                    timeout: Duration = .seconds(120)) async throws -> String {
        let child = try ChildUnderTest(arguments, environment: environment)
        let code = await child.waitForExit(timeout: timeout)
        guard code == 0 else {
            throw DemoTestError("\(arguments.joined(separator: " ")) exited with \(code.map(String.init) ?? "timeout"): \(child.output)")
        }
        return child.output
    }

    /// The processes whose parent is `parent` (from /proc).
    static func children(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(pid_t.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && pid_t(fields[1]) == parent
        }
    }

    /// True while a process with this id exists (zombies included).
    static func exists(_ pid: pid_t) -> Bool { FileManager.default.fileExists(atPath: "/proc/\(pid)") }
}

/// A throwaway PostgreSQL from `scripts/pg-throwaway.sh` (fsync off), stopped and deleted by ``stop()``.
struct ThrowawayServer {
    let url: String
    let directory: String

    static func start() async throws -> ThrowawayServer {
        let script = ChildUnderTest.repositoryRoot.appendingPathComponent("scripts/pg-throwaway.sh").path
        let output = try await ChildUnderTest.run(["/bin/bash", script, "start", "--fast"])
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
            values[String(pair[0])] = String(pair[1]).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        guard let url = values["DATABASE_URL"], let directory = values["VIGIL_PG_DIR"] else {
            throw DemoTestError("pg-throwaway.sh printed no DATABASE_URL: \(output)")
        }
        return ThrowawayServer(url: url, directory: directory)
    }

    func stop() async {
        let script = ChildUnderTest.repositoryRoot.appendingPathComponent("scripts/pg-throwaway.sh").path
        _ = try? await ChildUnderTest.run(["/bin/bash", script, "stop", directory])
    }
}
