import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A small HTTP server for a process without an API of its own (a worker): `GET /metrics` (Prometheus text),
/// `GET /healthz` (the process is up) and `GET /readyz` (200 while `ready()` holds, else 503).
///
/// Lifecycle: a `Service`; run it in the process's `ServiceGroup`.
public struct MetricsServer: Service {
    public let host: String
    public let port: Int
    let metrics: PrometheusMetrics
    let ready: @Sendable () async -> Bool
    let logger: Logger
    let onServerRunning: @Sendable (any Channel) async -> Void

    public init(
        host: String, port: Int, metrics: PrometheusMetrics = .shared, logger: Logger, ready: @escaping @Sendable () async -> Bool = { true },
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.metrics = metrics
        self.ready = ready
        self.logger = logger
        self.onServerRunning = onServerRunning
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        let metrics = metrics
        let ready = ready
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = PrometheusMetrics.contentType
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ in
            await ready() ? Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
                : Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "not ready\n")))
        }
        return router
    }

    public func run() async throws {
        let app = Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "vigil-metrics"),
            onServerRunning: onServerRunning,
            logger: logger)
        try await app.run()
    }
}
