import Foundation
import Testing
import VigilPostgres

/// The client-side answer deadline: a server that stops answering (its backend frozen with SIGSTOP, as a frozen host
/// would be) fails the call with `.noAnswer` instead of hanging the caller, and the pool replaces the connection.
/// Without the deadline these tests hang until their time limit.
@Suite("Client-side answer deadline", .serialized, .timeLimit(.minutes(1)))
struct AnswerDeadlineTests {
    @Test("a statement a frozen backend never answers fails with noAnswer, and the pool opens a new connection")
    func frozenStatement() async throws {
        let pool = try Self.pool(clientTimeout: .seconds(1))
        let frozen = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode(Int32.self, column: "pid")
        let clock = ContinuousClock()
        let started = clock.now
        let error = try await Self.whileFrozen(frozen) {
            await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        }
        let took = started.duration(to: clock.now)
        #expect(error?.code == .noAnswer)
        #expect(error.map { "\($0)" }?.contains("did not answer") == true)
        #expect(took >= .milliseconds(900), "the deadline fired before its time (\(took))")
        #expect(took < .seconds(10), "the call waited far past its 1 s deadline (\(took))")
        let replacement = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode(Int32.self, column: "pid")
        #expect(replacement != frozen, "the abandoned connection went back into the pool")
        await pool.close()
    }

    @Test("statements that answer within the deadline are untouched and keep their connection")
    func slowButAnswering() async throws {
        let pool = try Self.pool(clientTimeout: .seconds(2))
        var pids: Set<Int32> = []
        for _ in 0..<3 {
            let rows = try await pool.query("SELECT pg_backend_pid() AS pid, pg_sleep(0.3)::text AS slept")
            pids.insert(try rows[0].decode(Int32.self, column: "pid"))
        }
        #expect(pids.count == 1)
        await pool.close()
    }

    @Test("a COPY whose backend freezes fails with noAnswer")
    func frozenCopy() async throws {
        var configuration = try TestDatabase.baseConfiguration
        configuration.clientTimeout = .seconds(1)
        let connection = try await PostgresConnection.connect(configuration)
        try await connection.query("CREATE TEMP TABLE answered (n bigint)")
        let error = try await Self.whileFrozen(await connection.backendPID) {
            await #expect(throws: PostgresError.self) {
                try await connection.copyFrom("COPY answered (n) FROM STDIN", rows: Array(Int64(0)..<1000)) { row, writer in
                    writer.field(String(row))
                }
            }
        }
        #expect(error?.code == .noAnswer)
        #expect(await connection.isHealthy() == false)
        await connection.close()
    }

    @Test("a client timeout that is not positive is refused")
    func invalidTimeout() async throws {
        var configuration = try TestDatabase.baseConfiguration
        configuration.clientTimeout = .zero
        #expect(throws: PostgresError.self) { try configuration.validate() }
    }

    /// A pool of one connection with the given client timeout.
    static func pool(clientTimeout: Duration) throws -> PostgresPool {
        var configuration = try TestDatabase.baseConfiguration
        configuration.maxConnections = 1
        configuration.clientTimeout = clientTimeout
        return PostgresPool(configuration: configuration)
    }

    /// Runs `body` with the server process `pid` stopped, and always continues it afterwards.
    static func whileFrozen<T>(_ pid: Int32, _ body: () async throws -> T) async throws -> T {
        try #require(kill(pid, SIGSTOP) == 0, "cannot stop the backend (tests run as root or as the server's owner)")
        do {
            let value = try await body()
            kill(pid, SIGCONT)
            return value
        } catch {
            kill(pid, SIGCONT)
            throw error
        }
    }
}
