import Foundation
import Testing
import VigilPostgres

/// `PostgresListener(onNotification:)`: each notification reaches the callback (on the listener's thread), in order,
/// and not the event stream, which says only that the listener is listening.
@Suite("Listener callback", .serialized)
struct ListenerCallbackTests {
    @Test("every notification reaches the callback, in order, and not the stream")
    func callbackAndStream() async throws {
        try await TestDatabase.with(maxConnections: 2) { db in
            let channel = "vigil_cb_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
            let called = Locked<[String]>([])
            let streamed = Locked<[PostgresListenerEvent]>([])
            let listener = PostgresListener(configuration: db.configuration, channels: [String(channel)]) { notification in
                called.withLock { $0.append(notification.payload) }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await listener.run() }
                group.addTask {
                    for await event in listener.events { streamed.withLock { $0.append(event) } }
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
                    seen = called.withLock { $0.filter { $0 != "probe" } == ["1", "2", "3"] }
                }
                #expect(seen)
                // Sent after the three: by the time it is called back, the listener has handed the stream anything it was
                // going to hand it for them; the pause below lets the stream's consumer take it.
                try await db.pool.query("SELECT pg_notify($1, 'last')", [String(channel)])
                var last = false
                for _ in 0..<100 where !last {
                    try await Task.sleep(for: .milliseconds(50))
                    last = called.withLock { $0.last == "last" }
                }
                #expect(last)
                try await Task.sleep(for: .milliseconds(100))
                #expect(streamed.withLock { $0 } == [.listening], "the stream carries no notification when a callback takes them")
                group.cancelAll()
            }
        }
    }

    @Test("the stream says when the listener is listening; a notification sent after that arrives")
    func listeningComesFirst() async throws {
        try await TestDatabase.with(maxConnections: 2) { db in
            let channel = String("vigil_ls_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))
            let events = Locked<[PostgresListenerEvent]>([])
            let listener = PostgresListener(configuration: db.configuration, channels: [channel])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await listener.run() }
                group.addTask { for await event in listener.events { events.withLock { $0.append(event) } } }
                var listening = false
                for _ in 0..<200 where !listening {
                    try await Task.sleep(for: .milliseconds(25))
                    listening = events.withLock { $0.contains(.listening) }
                }
                #expect(listening)
                try await db.pool.query("SELECT pg_notify($1, 'after')", [channel])
                var seen = false
                for _ in 0..<200 where !seen {
                    try await Task.sleep(for: .milliseconds(25))
                    seen = events.withLock { $0.count == 2 }
                }
                let received = events.withLock { $0 }
                #expect(received.first == .listening, "listening is the first event, and comes once")
                #expect(received.filter { $0 == .listening }.count == 1)
                #expect(received.contains { if case .notification(let note) = $0 { note.payload == "after" } else { false } })
                group.cancelAll()
            }
        }
    }
}
