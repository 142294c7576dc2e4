import AsyncHTTPClient
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A cluster on this machine: the LLM simulator, a coordinator and worker processes, all children of this binary
/// (`vigil demo`, `vigil bench e2e`).
///
/// Contract: call ``shutdown()`` before the process exits, also after a failure or a cancellation; it stops the
/// workers first (two-phase: they drain in-flight jobs), then the coordinator and the simulator, and reaps them all.
final class LocalCluster: Sendable {
    /// Variables every child gets: this process's environment plus `DATABASE_URL`.
    let environment: [String: String]
    /// Where each child's output goes (`NAME.log`).
    let logDirectory: URL
    let http: HTTPClient
    private let children = Mutex<[SupervisedProcess]>([])

    init(databaseURL: String, logDirectory: URL, http: HTTPClient) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        self.environment = environment
        self.logDirectory = logDirectory
        self.http = http
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
    }

    var running: [SupervisedProcess] { children.withLock { $0 } }

    /// Starts `vigil ARGUMENTS` as a child named `name` (log: `logDirectory/name.log`, truncated first).
    func spawn(name: String, arguments: [String], environment extra: [String: String] = [:]) throws -> SupervisedProcess {
        let log = logDirectory.appendingPathComponent("\(name).log").path
        guard FileManager.default.createFile(atPath: log, contents: nil) else {
            throw ClusterError(.spawnFailed, "could not create \(name)'s log file \(log)")
        }
        let process = try SupervisedProcess(
            name: name, arguments: arguments, environment: environment.merging(extra) { $1 }, logPath: log)
        children.withLock { $0.append(process) }
        return process
    }

    /// Starts `vigil llm-sim` on a free port with `arguments` and waits until it answers; returns its base URL.
    func startSimulator(arguments: [String]) async throws -> String {
        let port = try EmbeddedPostgres.freePort()
        let process = try spawn(name: "llm-sim", arguments: ["llm-sim", "--listen", "127.0.0.1:\(port)"] + arguments)
        let url = "http://127.0.0.1:\(port)"
        try await waitUntilReady(process, url: url + "/health")
        return url
    }

    /// Starts `vigil coordinator` on a free port and waits until `/readyz` answers; returns its base URL.
    func startCoordinator(arguments: [String] = []) async throws -> String {
        let port = try EmbeddedPostgres.freePort()
        let process = try spawn(name: "coordinator", arguments: ["coordinator", "--listen", "127.0.0.1:\(port)"] + arguments)
        let url = "http://127.0.0.1:\(port)"
        try await waitUntilReady(process, url: url + "/readyz")
        return url
    }

    /// Starts `count` worker processes named `worker-FIRST…`.
    func startWorkers(count: Int, first: Int = 1, arguments: [String], environment extra: [String: String]) throws -> [SupervisedProcess] {
        try (first..<first + count).map { index in
            try spawn(name: "worker-\(index)", arguments: ["worker"] + arguments, environment: extra)
        }
    }

    /// Stops `processes` (SIGTERM to all at once, then each is waited for up to `grace`) and forgets them.
    func stop(_ processes: [SupervisedProcess], grace: Duration) async {
        for process in processes { process.send(SIGTERM) }
        for process in processes { await process.waitForExit(grace: grace) }
        let pids = Set(processes.map(\.pid))
        children.withLock { $0.removeAll { pids.contains($0.pid) } }
    }

    /// Throws when a child has exited on its own (with the end of its log).
    func checkChildren() throws {
        for process in running {
            if let code = process.exitStatus() {
                throw ClusterError(
                    .childExited, "\(process.name) exited with status \(code); its log (\(process.logPath)) ends:\n\(process.logTail())")
            }
        }
    }

    /// Stops every child: workers first (they drain), then the coordinator, then the simulator.
    func shutdown() async {
        let all = running
        let workers = all.filter { $0.name.hasPrefix("worker") }
        await stop(workers, grace: .seconds(15))
        let rest = all.filter { !$0.name.hasPrefix("worker") }
        await stop(rest.filter { $0.name != "llm-sim" }, grace: .seconds(10))
        await stop(rest.filter { $0.name == "llm-sim" }, grace: .seconds(5))
    }

    /// Polls `url` until it answers 200, failing when `process` exits or 60 s pass.
    private func waitUntilReady(_ process: SupervisedProcess, url: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            try Task.checkCancellation()
            if let code = process.exitStatus() {
                throw ClusterError(.childExited, "\(process.name) exited with status \(code) while starting; its log ends:\n\(process.logTail())")
            }
            if let response = try? await http.execute(HTTPClientRequest(url: url), timeout: .seconds(2)), response.status.code == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ClusterError(.notReady, "\(process.name) did not answer \(url) within 60 s; its log: \(process.logPath)")
    }
}
