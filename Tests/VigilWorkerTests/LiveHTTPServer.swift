import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A Hummingbird application on a real socket (127.0.0.1, a free port) for the length of `body`.
func withLiveServer<T: Sendable>(
    _ router: Router<BasicRequestContext>, _ body: @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
        logger: Logger(label: "test.receiver"))
    let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test.receiver")))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        do {
            let result = try await body(port)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}
