import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import VigilCore
import VigilObservability
import VigilPostgres
import VigilQueue
import VigilReview
import VigilSchema

/// The coordinator: takes alerts in over HTTP, shards them into the job tables, answers status.
///
/// Endpoints (all but health need a bearer token with the named scope):
/// - `POST /v1/alerts` (`ingest`): a JSON array or NDJSON of alerts; per-item results.
/// - `GET /v1/alerts/{id}` (`read`): state, attempts and verdict.
/// - `/v1/escalations…` (`review`): the review API (``ReviewAPI``).
/// - `/`, `/signin`, `/escalations/{id}` …: the review console, HTML (``ReviewConsole``).
/// - `GET /healthz`: the process is up. `GET /readyz`: database reachable, migrations current, no backpressure.
/// - `GET /metrics`: Prometheus text: this process's metrics and the cluster's, read from the database at scrape
///   time (``VigilObservability/ClusterMetrics``). Unauthenticated, like `/healthz`: it holds counts, never alert data.
///
/// While PostgreSQL is down every endpoint that needs it answers 503 with `Retry-After` (`/readyz` too), within
/// the pool's connect/acquire timeouts, and recovers by itself when the server is back: nothing is acknowledged
/// that was not committed.
public struct Coordinator: Sendable {
    public let configuration: CoordinatorConfiguration
    public let pool: PostgresPool
    public let store: AlertIngestStore
    public let tokens: TokenStore
    public let backlog: BacklogMonitor
    /// The escalation queue and review actions.
    public let review: ReviewStore
    /// Review-console sessions.
    public let sessions: ReviewSessionStore
    /// The registry `/metrics` renders (default: the process's).
    public var metrics: PrometheusMetrics = .shared
    let decoder: IngestDecoder
    let logger: Logger

    /// - Throws: ``CoordinatorError`` for invalid settings.
    public init(configuration: CoordinatorConfiguration, pool: PostgresPool, router: ShardRouter, logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        self.pool = pool
        self.logger = logger
        store = AlertIngestStore(pool: pool, router: router)
        tokens = TokenStore(pool: pool)
        backlog = BacklogMonitor(
            pool: pool, highWater: configuration.backlogHighWater, interval: configuration.backlogInterval, logger: logger
        )
        decoder = try IngestDecoder(configuration: configuration.ingest)
        review = ReviewStore(pool: pool)
        sessions = ReviewSessionStore(pool: pool, lifetime: configuration.consoleSessionLifetime)
    }

    /// Reads the cluster's shard count (set by `vigil migrate`).
    public static func shardRouter(_ pool: PostgresPool) async throws -> ShardRouter {
        let rows = try await pool.query("SELECT shard_count FROM cluster")
        guard let count = try rows.first?.decode(Int?.self, column: "shard_count"), let router = ShardRouter(shardCount: count) else {
            throw CoordinatorError(.clusterNotInitialised, "the cluster has no shard count: run vigil migrate")
        }
        return router
    }

    /// The router with every endpoint.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let authorizer = Authorizer(tokens: tokens, retryAfterSeconds: configuration.retryAfterSeconds)
        router.get("/healthz") { _, _ in JSONResponse.make(.ok, ["status": "ok"]) }
        router.get("/readyz") { _, _ in await readiness() }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = PrometheusMetrics.contentType
            let text = metrics.exposition(extra: await ClusterMetrics(pool: pool).exposition())
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.post("/v1/alerts") { request, _ in
            switch await authorizer.check(request, scope: .ingest) {
            case .denied(let response): return response
            case .allowed: return await ingest(request)
            }
        }
        router.get("/v1/alerts/{id}") { request, context in
            switch await authorizer.check(request, scope: .read) {
            case .denied(let response): return response
            case .allowed: return await alertStatus(id: context.parameters.get("id") ?? "")
            }
        }
        ReviewAPI(store: review, retryAfterSeconds: configuration.retryAfterSeconds, logger: logger).register(on: router, authorizer: authorizer)
        if let library = try? ConsoleTemplates.library() {
            ReviewConsole(
                store: review, sessions: sessions, tokens: tokens, library: library,
                secureCookies: configuration.consoleSecureCookies, logger: logger
            ).register(on: router)
        } else {
            logger.critical("the review console's templates do not parse; the console is off")
        }
        return router
    }

    /// The HTTP application, with the backlog monitor and `services` (the webhook delivery loop, …) as its services.
    public func application(
        services: [any Service] = [], onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "vigil"),
            services: [backlog] + services,
            onServerRunning: onServerRunning,
            logger: logger
        )
    }

    // MARK: Ingest

    func ingest(_ request: Request) async -> Response {
        let reading = backlog.reading
        if reading.overHighWater {
            var headers = HTTPFields()
            headers[.retryAfter] = String(configuration.retryAfterSeconds)
            return JSONResponse.error(
                .tooManyRequests, "backpressure", "the backlog is above its high-water mark; retry later",
                extra: ["backlog": .int(Int64(reading.backlog))], headers: headers
            )
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        } catch {
            return JSONResponse.error(
                .contentTooLarge, "body_too_large", "the body exceeds \(configuration.maxBodyBytes) bytes",
                extra: ["limit_bytes": .int(Int64(configuration.maxBodyBytes))]
            )
        }
        let batch: IngestBatch
        do {
            batch = try decoder.decode(body: body.readableBytesView, contentType: request.headers[.contentType], now: Date(), payload: .textOnly)
        } catch {
            return Self.response(for: error)
        }
        if batch.items.isEmpty {
            return JSONResponse.error(.badRequest, "empty_batch", "the body holds no alerts")
        }
        let stored: [Int: IngestResponse.Stored]
        do {
            stored = try await store.store(batch)
        } catch {
            logger.error("storing an ingest batch failed", metadata: ["error": "\(error)", "items": "\(batch.items.count)"])
            return JSONResponse.unavailable(retryAfter: configuration.retryAfterSeconds, reason: "the alerts could not be stored; nothing was kept")
        }
        let response = IngestResponse(batch: batch, stored: stored)
        logger.info(
            "ingested",
            metadata: ["accepted": "\(response.acceptedCount)", "duplicates": "\(response.duplicateCount)", "rejected": "\(response.rejectedCount)"]
        )
        let status: HTTPResponse.Status = response.rejectedCount == response.results.count ? .unprocessableContent : .ok
        return JSONResponse.make(status, text: response.jsonText)
    }

    static func response(for error: IngestError) -> Response {
        var extra: JSONObject = [:]
        if let line = error.line { extra["line"] = .int(Int64(line)) }
        if let column = error.column { extra["column"] = .int(Int64(column)) }
        let status: HTTPResponse.Status
        switch error.code {
        case .unsupportedContentType: status = .unsupportedMediaType
        case .tooManyItems: status = .contentTooLarge
        default: status = .badRequest
        }
        return JSONResponse.error(status, error.code.description, error.message, extra: extra)
    }

    // MARK: Status

    static let selectAlert = """
        SELECT a.id::text AS id, a.shard, a.source, a.external_id, a.kind, a.severity, a.occurred_at, a.received_at,
               j.state AS job_state, j.attempt AS job_attempt, j.last_error IS NOT NULL AS has_error,
               v.decision, v.confidence, v.decided_by, v.guardrails, v.flags, v.attempt AS verdict_attempt, v.created_at AS decided_at,
               d.attempts AS dead_attempts
        FROM alert a
        LEFT JOIN triage_job j ON j.shard = a.shard AND j.alert_id = a.id
        LEFT JOIN verdict v ON v.shard = a.shard AND v.alert_id = a.id
        LEFT JOIN dead_job d ON d.shard = a.shard AND d.alert_id = a.id
        WHERE a.id = $1
        """

    func alertStatus(id: String) async -> Response {
        guard let uuid = UUID(uuidString: id) else {
            return JSONResponse.error(.badRequest, "invalid_id", "the alert id is not a UUID", extra: ["field": "id"])
        }
        do {
            guard let row = try await pool.query(Self.selectAlert, [uuid]).first else {
                return JSONResponse.error(.notFound, "not_found", "no alert with that id")
            }
            var object: JSONObject = [
                "id": .string(try row.decode(String.self, column: "id")),
                "shard": .int(Int64(try row.decode(Int.self, column: "shard"))),
                "source": .string(try row.decode(String.self, column: "source")),
                "external_id": .string(try row.decode(String.self, column: "external_id")),
                "kind": .string(try row.decode(String.self, column: "kind")),
                "severity": .string(try row.decode(String.self, column: "severity")),
                "occurred_at": .string(RFC3339.format(try row.decode(Date.self, column: "occurred_at"))),
                "received_at": .string(RFC3339.format(try row.decode(Date.self, column: "received_at"))),
            ]
            if let decision = try row.decode(String?.self, column: "decision") {
                object["state"] = "triaged"
                object["attempts"] = .int(Int64(try row.decode(Int.self, column: "verdict_attempt")))
                var verdict: JSONObject = [
                    "decision": .string(decision),
                    "decided_by": .string(try row.decode(String.self, column: "decided_by")),
                    "guardrails": .array(try row.decode([String].self, column: "guardrails").map(JSONValue.string)),
                    "flags": .array(try row.decode([String].self, column: "flags").map(JSONValue.string)),
                    "decided_at": .string(RFC3339.format(try row.decode(Date.self, column: "decided_at"))),
                ]
                if let confidence = try row.decode(Double?.self, column: "confidence") { verdict["confidence"] = .double(confidence) }
                object["verdict"] = .object(verdict)
            } else if let attempts = try row.decode(Int?.self, column: "dead_attempts") {
                object["state"] = "dead_lettered"
                object["attempts"] = .int(Int64(attempts))
            } else if let state = try row.decode(String?.self, column: "job_state") {
                object["state"] = .string(state)
                object["attempts"] = .int(Int64(try row.decode(Int.self, column: "job_attempt")))
            } else {
                object["state"] = "unknown"
            }
            return JSONResponse.make(.ok, .object(object))
        } catch {
            logger.error("alert status failed", metadata: ["error": "\(error)"])
            return JSONResponse.unavailable(retryAfter: configuration.retryAfterSeconds, reason: "the database is unavailable")
        }
    }

    func readiness() async -> Response {
        var reasons: [JSONValue] = []
        let reading = backlog.reading
        if !reading.databaseReachable { reasons.append("database unreachable") }
        if reading.overHighWater { reasons.append("backlog above high-water mark") }
        do {
            if try await !VigilSchema.migrator().isCurrent(pool) { reasons.append("migrations not current") }
        } catch {
            reasons.append("database unreachable")
        }
        let body: JSONValue = [
            "ready": .bool(reasons.isEmpty),
            "backlog": .int(Int64(reading.backlog)),
            "reasons": .array(reasons),
        ]
        if reasons.isEmpty { return JSONResponse.make(.ok, body) }
        var headers = HTTPFields()
        headers[.retryAfter] = String(configuration.retryAfterSeconds)
        return JSONResponse.make(.serviceUnavailable, body, headers: headers)
    }
}
