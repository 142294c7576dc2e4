import Foundation
import Testing
import VigilPostgres

/// `PostgresListener(onNotification:)`: each notification reaches the callback (on the listener's thread, before
/// the event stream) and the event stream too.
@Suite("Listener callback", .serialized)
struct ListenerCallbackTests {
    @Test("every notification reaches the callback and the stream, in order")
    func callbackAndStream() async throws {
        let db = try await TestDatabase.make(maxConnections: 2)
        defer { Task { await db.drop() } }
        let channel = "vigil_cb_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let called = Locked<[String]>([])
        let streamed = Locked<[String]>([])
        let listener = PostgresListener(configuration: db.configuration, channels: [String(channel)]) { notification in
            called.withLock { $0.append(notification.payload) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await listener.run() }
            group.addTask {
                for await event in listener.events {
                    if case .notification(let note) = event { streamed.withLock { $0.append(note.payload) } }
                }
            }
            // Until the listener has connected, notifications go nowhere: send a probe until one is seen.
            var connected = false
            for _ in 0..<100 where !connected {
                try await db.pool.query("SELECT pg_notify($1, 'probe')", [String(channel)])
                try await Task.sleep(for: .milliseconds(50))
                connected = called.withLock { $0.contains("probe") }
            }
            #expect(connected)
            for payload in ["1", "2", "3"] { try await db.pool.query("SELECT pg_notify($1, $2)", [String(channel), payload]) }
            var seen = false
            for _ in 0..<100 where !seen {
                try await Task.sleep(for: .milliseconds(50))
                seen = streamed.withLock { $0.filter { $0 != "probe" } == ["1", "2", "3"] }
            }
            #expect(seen)
            #expect(called.withLock { $0.filter { $0 != "probe" } } == ["1", "2", "3"])
            group.cancelAll()
        }
    }
}
