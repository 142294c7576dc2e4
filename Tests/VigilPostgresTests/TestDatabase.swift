import Foundation
import Synchronization
import Testing
import VigilPostgres
import VigilTestSupport

/// An isolated schema on the test server (`DATABASE_URL`, started by `scripts/test.sh`).
///
/// Each test makes its own, so tests run in parallel without seeing each other's tables; the
/// schema is dropped when ``with(maxConnections:_:)`` returns or throws.
struct TestDatabase {
    let schema: String
    let configuration: PostgresConfiguration
    let pool: PostgresPool

    static var baseConfiguration: PostgresConfiguration {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
                throw TestSetupError("DATABASE_URL is not set: run the tests with scripts/test.sh, which starts PostgreSQL")
            }
            return PostgresConfiguration(connectionString: url)
        }
    }

    /// Creates a fresh schema and a pool whose connections use it.
    private static func make(maxConnections: Int = 4, function: String = #function) async throws -> TestDatabase {
        var configuration = try baseConfiguration
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        let admin = try await PostgresConnection.connect(configuration)
        try await admin.executeScript("CREATE SCHEMA \(schema)")
        await admin.close()
        configuration.searchPath = String(schema)
        configuration.maxConnections = maxConnections
        return TestDatabase(schema: String(schema), configuration: configuration, pool: PostgresPool(configuration: configuration))
    }

    /// Runs `body` with a fresh schema and a pool of `maxConnections` on it, then drops the schema,
    /// after a return and after a throw alike (then rethrows).
    static func with<T>(maxConnections: Int = 4, _ body: (TestDatabase) async throws -> T) async throws -> T {
        try await withCleanup(make(maxConnections: maxConnections), cleanup: { await $0.drop() }, body)
    }

    private func drop() async {
        await pool.close()
        if let admin = try? await PostgresConnection.connect(try TestDatabase.baseConfiguration) {
            try? await admin.executeScript("DROP SCHEMA IF EXISTS \(schema) CASCADE")
            await admin.close()
        }
    }
}

extension PostgresPool {
    /// Runs `body` with a pool on `configuration`, then closes it, after a return and after a throw alike (then rethrows).
    static func with<T>(configuration: PostgresConfiguration, _ body: (PostgresPool) async throws -> T) async throws -> T {
        try await withCleanup(PostgresPool(configuration: configuration), cleanup: { await $0.close() }, body)
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A private PostgreSQL server for tests that restart it (so they disturb no other test).
struct PrivateServer {
    let url: String
    let directory: String
    let binaries: String
    /// The CA certificate of a server started with `--ssl`.
    var sslRoot: String? = nil

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    private static func start(_ options: [String] = ["--fast"]) async throws -> PrivateServer {
        let output = try await run(["bash", repositoryRoot.appendingPathComponent("scripts/pg-throwaway.sh").path, "start"] + options)
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
            values[String(pair[0])] = String(pair[1]).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        guard let url = values["DATABASE_URL"], let dir = values["VIGIL_PG_DIR"], let bin = values["VIGIL_PG_BIN"] else {
            throw TestSetupError("pg-throwaway.sh printed no DATABASE_URL")
        }
        return PrivateServer(url: url, directory: dir, binaries: bin, sslRoot: values["VIGIL_PG_SSL_ROOT"])
    }

    /// Runs `body` with a server started with `options`, then stops it,
    /// after a return and after a throw alike (then rethrows).
    static func with<T>(_ options: [String] = ["--fast"], _ body: (PrivateServer) async throws -> T) async throws -> T {
        try await withCleanup(start(options), cleanup: { await $0.stop() }, body)
    }

    /// `pg_ctl restart -m fast`, as the server's owner.
    func restart() async throws {
        try await Self.run(asOwner(["\(binaries)/pg_ctl", "-D", "\(directory)/data", "-l", "\(directory)/server.log", "-m", "fast", "-w", "restart"]))
    }

    private func stop() async {
        _ = try? await Self.run(["bash", Self.repositoryRoot.appendingPathComponent("scripts/pg-throwaway.sh").path, "stop", directory])
    }

    private func asOwner(_ command: [String]) -> [String] {
        getuid() == 0 ? ["runuser", "-u", "postgres", "--"] + command : command
    }

    /// Runs a command through `/bin/sh` on a thread of its own (never on the cooperative pool) and
    /// returns its standard output; throws when it exits non-zero.
    @discardableResult
    static func run(_ arguments: [String]) async throws -> String {
        let command = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let (status, output) = await withCheckedContinuation { (continuation: CheckedContinuation<(Int32, String), Never>) in
            let thread = Thread {
                guard let pipe = popen(command + " 2>/dev/null", "r") else {
                    continuation.resume(returning: (-1, ""))
                    return
                }
                var output = [UInt8]()
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = fread(&buffer, 1, buffer.count, pipe)
                    if n <= 0 { break }
                    output.append(contentsOf: buffer[0..<n])
                }
                continuation.resume(returning: (pclose(pipe), String(decoding: output, as: UTF8.self)))
            }
            thread.start()
        }
        guard status == 0 else { throw TestSetupError("\(arguments.joined(separator: " ")) exited with status \(status)") }
        return output
    }
}

/// A value shared between test tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}
