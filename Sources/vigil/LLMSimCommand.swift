import ArgumentParser
import Foundation
import Hummingbird
import Logging
import VigilSimulator

/// `vigil llm-sim`: runs the LLM API simulator until SIGTERM or SIGINT.
struct LLMSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm-sim",
        abstract: "Serve a local LLM API simulator (Anthropic Messages and OpenAI chat completions) for tests and benchmarks.",
        discussion: """
            Behaviours: \(SimulatorBehaviour.names.joined(separator: ", ")) (malformed/VARIANT fixes the variant: \
            \(SimulatorBehaviour.MalformedVariant.allCases.map(\.rawValue).joined(separator: ", "))). A request may choose \
            its own with the header x-sim-behaviour or the marker "vigil-sim-behaviour: NAME" in the alert, and its own \
            latency with the header x-sim-latency-ms.
            Routes: POST /v1/messages, POST /v1/chat/completions, GET /stats, GET /requests, POST /admin/storm?seconds=N, \
            POST /admin/fail?status=429|500|529&count=N[&retry_after=S], POST /admin/reset, GET /health.
            """
    )

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).")
    var listen = "127.0.0.1:8088"

    @Option(help: "Behaviour when a request names none.")
    var behaviour = "analyst"

    @Option(help: "Requests per minute (unlimited when omitted).")
    var rpm: Int?

    @Option(help: "Input tokens per minute (unlimited when omitted).")
    var itpm: Int?

    @Option(help: "Output tokens per minute (unlimited when omitted).")
    var otpm: Int?

    @Option(help: "Capacity of each rate-limit bucket in seconds of refill (60 = a whole minute's burst; 1 = one second's share).")
    var burstSeconds: Double = 60

    @Option(help: "Median response latency in milliseconds (log-normal; 0 for none).")
    var latencyMedianMs: Double = 1500

    @Option(help: "Sigma of the log-normal latency.")
    var latencySigma: Double = 0.5

    @Option(name: .customLong("error-rate-529"), help: "Fraction of requests answered with an overload (529; 503 on the OpenAI API).")
    var errorRate529: Double = 0

    @Option(name: .customLong("error-rate-500"), help: "Fraction of requests answered with 500.")
    var errorRate500: Double = 0

    @Option(help: "Seed of error injection, latency and ids.")
    var seed: UInt64 = 1

    @Option(help: "Require this API key (x-api-key or Authorization: Bearer); default: accept any. Prefer --api-key-env.")
    var apiKey: String?

    @Option(help: "Read the required API key from this environment variable.")
    var apiKeyEnv: String?

    @Option(help: "Requests kept in the in-memory request log (0 disables it).")
    var requestLog = 256

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel = "info"

    func run() async throws {
        let (host, port) = try SimulatorConfiguration.parseListenAddress(listen)
        var key = apiKey
        if let name = apiKeyEnv {
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw ValidationError("--api-key-env: environment variable \(name) is not set")
            }
            key = value
        }
        let configuration = SimulatorConfiguration(
            host: host,
            port: port,
            defaultBehaviour: try SimulatorBehaviour(name: behaviour),
            requestsPerMinute: rpm,
            inputTokensPerMinute: itpm,
            outputTokensPerMinute: otpm,
            burstSeconds: burstSeconds,
            latencyMedianMilliseconds: latencyMedianMs,
            latencySigma: latencySigma,
            overloadErrorRate: errorRate529,
            serverErrorRate: errorRate500,
            seed: seed,
            apiKey: key,
            requestLogCapacity: requestLog
        )
        var logger = Logger(label: "vigil.llm-sim")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let simulator = try LLMSimulator(configuration: configuration, logger: logger)
        logger.info("llm-sim starting", metadata: ["configuration": "\(configuration)"])
        try await simulator.makeApplication().runService()
        logger.info("llm-sim stopped")
    }
}
