import Hummingbird
import Logging
import ServiceLifecycle

/// A simulator listening on a known port, handed to the closure of ``LLMSimulator/withRunning(_:logger:body:)``.
public struct RunningSimulator: Sendable {
    /// The simulator, for ``LLMSimulator/stats()``, ``LLMSimulator/requestLog()``, ``LLMSimulator/reset()`` and
    /// ``LLMSimulator/startStorm(seconds:)`` without HTTP.
    public let simulator: LLMSimulator
    /// The port it is bound to.
    public let port: Int
    /// `http://HOST:PORT`, the base URL to give a provider (append `/v1/messages` or `/v1/chat/completions`).
    public let baseURL: String
}

extension LLMSimulator {
    /// Runs a simulator (port 0 in the configuration picks a free port) for the length of `body`, then shuts it
    /// down gracefully. The server runs in a task group of this call; no task outlives it.
    /// - Throws: ``SimulatorError`` for an invalid configuration or a server that stopped before listening;
    ///   whatever `body` throws.
    public static func withRunning<T: Sendable>(
        _ configuration: SimulatorConfiguration = .testing,
        logger: Logger = Logger(label: "vigil.llm-sim"),
        body: (RunningSimulator) async throws -> T
    ) async throws -> T {
        let simulator = try LLMSimulator(configuration: configuration, logger: logger)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = simulator.makeApplication { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [application], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { portContinuation.finish() }
                try await group.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await tasks.waitForAll()
                throw SimulatorError(.notStarted, "the simulator stopped before it listened")
            }
            let running = RunningSimulator(simulator: simulator, port: port, baseURL: "http://\(configuration.host):\(port)")
            do {
                let value = try await body(running)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
