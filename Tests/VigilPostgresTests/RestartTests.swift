import Foundation
import Testing
import VigilPostgres

@Suite("Server restarts", .serialized)
struct RestartTests {
    @Test("after a restart the pool reconnects and LISTEN resumes")
    func restart() async throws {
        try await PrivateServer.with { server in
            let configuration = PostgresConfiguration(connectionString: server.url, maxConnections: 2)
            let pool = PostgresPool(configuration: configuration)
            let listener = PostgresListener(configuration: configuration, channels: ["vigil_test"])
            let received = Locked<[PostgresListenerEvent]>([])

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await listener.run() }
                group.addTask {
                    for await event in listener.events { received.withLock { $0.append(event) } }
                }

                // Before: a notification arrives (sent again until the listener has connected).
                #expect(try await notifyUntilSeen(pool: pool, payload: "before", received: received))
                let pidBefore = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode(Int.self, column: "pid")

                try await server.restart()

                // The idle connection died with the server; the next query goes through on a new one.
                let rows = try await pool.query("SELECT pg_backend_pid() AS pid")
                #expect(try rows[0].decode(Int.self, column: "pid") != pidBefore)

                // The listener reconnects, says so, and delivers again.
                #expect(try await waitFor { received.withLock { $0.contains(.reconnected) } })
                #expect(try await notifyUntilSeen(pool: pool, payload: "after", received: received))
                group.cancelAll()
            }
            await pool.close()
        }
    }

    private func notifyUntilSeen(pool: PostgresPool, payload: String, received: Locked<[PostgresListenerEvent]>) async throws -> Bool {
        for _ in 0..<50 {
            try await pool.query("SELECT pg_notify('vigil_test', $1)", [payload])
            try await Task.sleep(for: .milliseconds(100))
            let seen = received.withLock { events in
                events.contains { if case .notification(let note) = $0 { note.payload == payload } else { false } }
            }
            if seen { return true }
        }
        return false
    }

    private func waitFor(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
