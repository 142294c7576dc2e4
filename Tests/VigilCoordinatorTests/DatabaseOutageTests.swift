import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import VigilCoordinator
import VigilCore
import VigilPostgres
import VigilQueue
import VigilSchema
import VigilTestSupport

/// The coordinator while its PostgreSQL is down or frozen: 503 with `Retry-After`, fast, and recovery without a restart.
@Suite("Coordinator under a database outage", .serialized)
struct DatabaseOutageTests {
    @Test("while PostgreSQL is stopped, ingest and readiness answer 503 with Retry-After in bounded time, then recover")
    func outage() async throws {
        try await Self.withServer { server in try await Self.outage(server) }
    }

    @Test("while PostgreSQL is frozen (SIGSTOP), ingest answers 503 within the client timeout instead of hanging, then recovers",
        .timeLimit(.minutes(2)))
    func frozen() async throws {
        try await Self.withServer { server in try await Self.frozen(server) }
    }

    static func outage(_ server: OutageServer) async throws {
        let (pool, coordinator, headers) = try await setUp(server, clientTimeout: nil)
        let clock = ContinuousClock()
        try await coordinator.application().test(.live) { client in
            #expect(try await ingest(client, headers, "outage-1").status == .ok)

            try await server.stop()
            await coordinator.backlog.measure()
            try await expectRefused(client, headers, "outage-2", within: .seconds(6))
            let started = clock.now
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable)
            #expect(ready.headers[.retryAfter] == "3")
            #expect(String(buffer: ready.body).contains("database unreachable"))
            #expect(started.duration(to: clock.now) < .seconds(6))
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok, "the process itself stays healthy")

            // Back up: the same request goes through without restarting the coordinator.
            try await server.start()
            try await expectRecovered(client, headers, "outage-2")
            await coordinator.backlog.measure()
            let readyAgain = try await client.execute(uri: "/readyz", method: .get)
            #expect(readyAgain.status == .ok)
            #expect(readyAgain.headers[.retryAfter] == nil)
        }
        // Exactly the two acknowledged alerts are held; the refused attempts stored nothing.
        #expect(try await pool.query("SELECT count(*) AS n FROM alert")[0].decode(Int.self, column: "n") == 2)
        await pool.close()
    }

    static func frozen(_ server: OutageServer) async throws {
        let (pool, coordinator, headers) = try await setUp(server, clientTimeout: .seconds(2))
        try await coordinator.application().test(.live) { client in
            #expect(try await ingest(client, headers, "frozen-1").status == .ok)

            // The server's processes keep their sockets open and answer nothing: statement_timeout cannot fire.
            try server.freeze()
            try await expectRefused(client, headers, "frozen-2", within: .seconds(8))
            server.thaw()
            try await expectRecovered(client, headers, "frozen-2")
        }
        // The refused attempts stored nothing: their abandoned transactions never reached COMMIT.
        #expect(try await pool.query("SELECT count(*) AS n FROM alert")[0].decode(Int.self, column: "n") == 2)
        await pool.close()
    }

    /// Runs `body` against a private server, thawed and removed afterwards whatever happened.
    static func withServer(_ body: (OutageServer) async throws -> Void) async throws {
        try await withCleanup(OutageServer.start(), cleanup: { await $0.remove() }, body)
    }

    /// A migrated database on `server`, an ingest token and a coordinator with a small pool and short timeouts.
    static func setUp(_ server: OutageServer, clientTimeout: Duration?) async throws -> (PostgresPool, Coordinator, HTTPFields) {
        var postgres = PostgresConfiguration(connectionString: server.url, maxConnections: 2)
        postgres.connectTimeoutSeconds = 2
        postgres.acquireTimeout = .seconds(2)
        postgres.statementTimeout = .seconds(10)
        postgres.clientTimeout = clientTimeout
        let pool = PostgresPool(configuration: postgres)
        try await VigilSchema.migrator().migrate(pool)
        try await ClusterSettings.ensureShardCount(pool, requested: 8)
        let token = try await TokenStore(pool: pool).create(name: "siem", scopes: [.ingest])
        let coordinator = try Coordinator(
            configuration: CoordinatorConfiguration(port: 0, retryAfterSeconds: 3), pool: pool,
            router: try await Coordinator.shardRouter(pool), logger: Logger(label: "test")
        )
        return (pool, coordinator, [.authorization: "Bearer \(token)", .contentType: "application/x-ndjson"])
    }

    static func ingest(_ client: some TestClientProtocol, _ headers: HTTPFields, _ externalID: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/alerts", method: .post, headers: headers, body: ByteBuffer(string: alertLine(externalID)))
    }

    /// Three ingest attempts, each refused with 503, `Retry-After` and the `unavailable` error within `bound`.
    static func expectRefused(_ client: some TestClientProtocol, _ headers: HTTPFields, _ externalID: String, within bound: Duration) async throws {
        let clock = ContinuousClock()
        for attempt in 0..<3 {
            let started = clock.now
            let refused = try await ingest(client, headers, externalID)
            let took = started.duration(to: clock.now)
            #expect(refused.status == .serviceUnavailable, "attempt \(attempt)")
            #expect(refused.headers[.retryAfter] == "3")
            #expect(try json(refused)["error"] == "unavailable")
            #expect(took < bound, "a 503 must not wait on the unavailable database for long (took \(took))")
        }
    }

    /// Retries ingest until it is accepted (the coordinator was not restarted), answering 503 meanwhile.
    static func expectRecovered(_ client: some TestClientProtocol, _ headers: HTTPFields, _ externalID: String) async throws {
        var recovered: TestResponse?
        for _ in 0..<50 {
            let response = try await ingest(client, headers, externalID)
            if response.status == .ok {
                recovered = response
                break
            }
            #expect(response.status == .serviceUnavailable)
            try await Task.sleep(for: .milliseconds(200))
        }
        let body = try json(try #require(recovered, "ingest never recovered after the server came back"))
        #expect(body["accepted"] == 1)
    }
}

/// A private PostgreSQL server that a test stops and starts (so no other test loses its database).
struct OutageServer {
    let url: String
    let directory: String
    let binaries: String
    let port: String

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/pg-throwaway.sh").path
    }

    static func start() async throws -> OutageServer {
        let output = try await execute(["bash", script, "start", "--fast"])
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
            values[String(pair[0])] = String(pair[1]).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        guard let url = values["DATABASE_URL"], let directory = values["VIGIL_PG_DIR"], let binaries = values["VIGIL_PG_BIN"],
            let port = url.split(separator: ":").last?.split(separator: "/").first
        else { throw HarnessError("pg-throwaway.sh printed no DATABASE_URL") }
        return OutageServer(url: url, directory: directory, binaries: binaries, port: String(port))
    }

    /// `pg_ctl stop -m fast`: connections are closed, new ones refused.
    func stop() async throws {
        try await Self.execute(asOwner(["\(binaries)/pg_ctl", "-D", "\(directory)/data", "-m", "fast", "-w", "stop"]))
    }

    /// Starts the stopped server again on the same port and socket folder.
    func start() async throws {
        let options = "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory)/sock -c fsync=off"
        try await Self.execute(asOwner(["\(binaries)/pg_ctl", "-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w", "-o", options, "start"]))
    }

    /// Stops (SIGSTOP) the postmaster and every process it started: a frozen host, as the clients see it.
    func freeze() throws {
        for pid in processes() {
            guard kill(pid, SIGSTOP) == 0 else { throw HarnessError("cannot stop server process \(pid)") }
        }
    }

    /// Continues (SIGCONT) every process of the server; safe when it is not frozen.
    func thaw() {
        for pid in processes() { kill(pid, SIGCONT) }
    }

    /// The postmaster (first line of `postmaster.pid`) and its children, read from `/proc`.
    private func processes() -> [pid_t] {
        guard let file = try? String(contentsOfFile: "\(directory)/data/postmaster.pid", encoding: .utf8),
            let first = file.split(separator: "\n").first, let postmaster = pid_t(first.trimmingCharacters(in: .whitespaces))
        else { return [] }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        let children = entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // Fields after the command name: state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == postmaster ? pid : nil
        }
        return [postmaster] + children
    }

    func remove() async {
        thaw()
        _ = try? await Self.execute(["bash", Self.script, "stop", directory])
    }

    private func asOwner(_ command: [String]) -> [String] {
        getuid() == 0 ? ["runuser", "-u", "postgres", "--"] + command : command
    }

    /// Runs a command to completion on a thread of its own (blocking calls must stay off Swift's cooperative pool)
    /// and returns its standard output; throws when it exits non-zero.
    @discardableResult
    static func execute(_ arguments: [String]) async throws -> String {
        let command = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ") + " 2>/dev/null"
        let (status, output) = await withCheckedContinuation { (continuation: CheckedContinuation<(Int32, String), Never>) in
            Thread {
                guard let stream = popen(command, "r") else { return continuation.resume(returning: (-1, "")) }
                var output = [UInt8]()
                var chunk = [UInt8](repeating: 0, count: 4096)
                while case let count = fread(&chunk, 1, chunk.count, stream), count > 0 { output += chunk[..<count] }
                continuation.resume(returning: (pclose(stream), String(decoding: output, as: UTF8.self)))
            }.start()
        }
        guard status == 0 else { throw HarnessError("\(arguments.joined(separator: " ")) exited with status \(status)") }
        return output
    }
}
