import Foundation
import Hummingbird
import Logging
import Synchronization
import Testing
import VigilCore
import VigilPostgres
import VigilQueue
import VigilWebhooks

/// Webhook delivery from the outbox to a real HTTP receiver (Hummingbird on a local socket): signatures, retries on
/// 500, dead-letters after the last try or a permanent refusal, the Slack shape, and no alert payload in any body.
@Suite(.serialized)
struct WebhookDeliveryTests {
    static let secret = WebhookSecret(Array("test-signing-secret-0123456789".utf8))
    static let marker = "PAYLOAD-MARKER-7f3a"

    /// What the receiver saw.
    final class Received: Sendable {
        struct Request: Sendable {
            var headers: [String: String]
            var body: [UInt8]
        }

        let requests = Mutex<[Request]>([])
        /// The statuses to answer, in order; the last repeats.
        let statuses: [Int]

        init(statuses: [Int]) { self.statuses = statuses }

        var all: [Request] { requests.withLock { $0 } }

        func router() -> Router<BasicRequestContext> {
            let router = Router()
            router.post("/hook") { request, _ in
                var request = request
                let body = try await request.collectBody(upTo: 1 << 20)
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
                let index = self.requests.withLock { list in
                    list.append(Request(headers: headers, body: Array(body.readableBytesView)))
                    return list.count - 1
                }
                return Response(status: .init(code: self.statuses[min(index, self.statuses.count - 1)]))
            }
            return router
        }
    }

    /// Runs `body` with a database with one ESCALATE verdict (its alert's payload holds ``marker``, its id is passed on)
    /// whose outbox row waits for `webhook`, then drops the database, after a return and after a throw alike.
    static func withDatabase(
        for webhook: Webhook, principal: String = "arn:aws:iam::123456789012:user/mallory", _ body: (QueueTestDatabase, UUID) async throws -> Void
    ) async throws {
        try await QueueTestDatabase.with(shardCount: 1) { db in
            try await WebhookOutbox(pool: db.pool).sync([webhook])
            let id = UUID()
            try await db.pool.query(
                """
                WITH a AS (
                    INSERT INTO alert (shard, id, source, external_id, kind, severity, occurred_at, principal, payload)
                    VALUES (0, $1, 'guardduty', 'finding-1', 'iam_persistence', 'high', now(), $3, jsonb_build_object('secret_note', $2::text))
                )
                INSERT INTO triage_job (shard, alert_id) VALUES (0, $1)
                """, [id, marker, principal])
            let store = ShardLeaseStore(pool: db.pool, workerID: "worker-a")
            _ = try await store.prepare()
            let lease = try #require(try await store.take(shard: 0, expectedEpoch: 0, from: nil, duration: .seconds(60)))
            let jobs = JobStore(pool: db.pool, workerID: "worker-a")
            let job = try #require(try await jobs.claim(leases: [lease], limit: 1, jobLease: .seconds(30)).first)
            let verdict = VerdictRecord(
                decision: .escalate, rationale: "quotes the payload: \(marker)", decidedBy: "rules", guardrails: ["persistence"],
                recommendedAction: "review the new access key")
            _ = try await jobs.finish([JobResult(key: job.key, attempt: job.attempt, disposition: .complete, verdict: verdict)])
            #expect(try await db.count("SELECT count(*) FROM webhook_outbox") == 1)
            try await body(db, id)
        }
    }

    static func webhook(port: Int, format: Webhook.Format = .vigil, maxAttempts: Int = 3) -> Webhook {
        Webhook(
            name: "soc", url: "http://127.0.0.1:\(port)/hook", format: format, secret: secret, maxAttempts: maxAttempts,
            baseDelay: .milliseconds(40), maxDelay: .milliseconds(80), timeout: .seconds(5))
    }

    @Test func retriesOn500ThenDeliversSignedBodiesWithoutThePayload() async throws {
        let received = Received(statuses: [500, 500, 200])
        try await withLiveServer(received.router()) { port in
            let webhook = Self.webhook(port: port)
            try await Self.withDatabase(for: webhook) { db, alertID in
                let service = WebhookDeliveryService(
                    configuration: WebhookConfiguration(webhooks: [webhook], pollInterval: .milliseconds(20)), outbox: WebhookOutbox(pool: db.pool),
                    logger: Logger(label: "test"))
                // The real loop, until the outbox is empty.
                let delivered = try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await service.run() }
                    defer { group.cancelAll() }
                    return try await db.waitUntil(timeout: .seconds(15)) { try await db.count("SELECT count(*) FROM webhook_outbox") == 0 }
                }
                #expect(delivered)
                let requests = received.all
                #expect(requests.count == 3)
                #expect(requests.compactMap { $0.headers["vigil-attempt"] } == ["1", "2", "3"])
                let now = Int64(Date().timeIntervalSince1970)
                for request in requests {
                    let signature = try #require(request.headers[WebhookSignature.header.lowercased()])
                    #expect(WebhookSignature.verify(header: signature, body: request.body, secret: Self.secret, now: now))
                    #expect(!WebhookSignature.verify(header: signature, body: request.body + [0x20], secret: Self.secret, now: now))
                    #expect(request.headers["vigil-delivery"] == "soc:\(alertID.uuidString.lowercased())")
                    #expect(request.headers["vigil-event"] == "verdict.escalate")
                    let text = String(decoding: request.body, as: UTF8.self)
                    #expect(!text.contains(Self.marker), "neither the payload nor the rationale (which quotes it) is sent by default")
                }
                let body = try JSONParser().parse(String(decoding: requests[2].body, as: UTF8.self))
                #expect(body.value(atPath: "alert.id") == .string(alertID.uuidString.lowercased()))
                #expect(body.value(atPath: "verdict.decision") == "ESCALATE")
                #expect(body["summary"]?.stringValue?.contains("ESCALATE") == true)
                #expect(try await db.count("SELECT count(*) FROM webhook_dead_letter") == 0)
            }
        }
    }

    @Test func deadLettersAfterTheLastTry() async throws {
        let received = Received(statuses: [500])
        try await withLiveServer(received.router()) { port in
            let webhook = Self.webhook(port: port, maxAttempts: 3)
            try await Self.withDatabase(for: webhook) { db, alertID in
                let service = WebhookDeliveryService(
                    configuration: WebhookConfiguration(webhooks: [webhook]), outbox: WebhookOutbox(pool: db.pool), logger: Logger(label: "test"))
                let dead = try await db.waitUntil(timeout: .seconds(15)) {
                    try await service.deliverDue()
                    return try await db.count("SELECT count(*) FROM webhook_dead_letter") == 1
                }
                #expect(dead)
                #expect(received.all.count == 3, "three tries, then no more")
                let row = try #require(try await db.pool.query("SELECT alert_id, attempts, last_status, last_error FROM webhook_dead_letter").first)
                #expect(try row.decode(UUID.self, at: 0) == alertID)
                #expect(try row.decode(Int.self, at: 1) == 3)
                #expect(try row.decode(Int?.self, at: 2) == 500)
                #expect(try row.decode(String.self, at: 3).contains("after 3 tries"))
                #expect(try await db.count("SELECT count(*) FROM webhook_outbox") == 0)
                try await service.deliverDue()
                #expect(received.all.count == 3)
            }
        }
    }

    @Test func aPermanentRefusalDeadLettersAtOnce() async throws {
        let received = Received(statuses: [410])
        try await withLiveServer(received.router()) { port in
            let webhook = Self.webhook(port: port, maxAttempts: 5)
            // `throws` spelled out: a closure whose only `try`s are inside `#expect` is inferred non-throwing (swift-testing#611).
            try await Self.withDatabase(for: webhook) { db, _ throws in
                let service = WebhookDeliveryService(
                    configuration: WebhookConfiguration(webhooks: [webhook]), outbox: WebhookOutbox(pool: db.pool), logger: Logger(label: "test"))
                #expect(try await service.deliverDue() == 1)
                #expect(received.all.count == 1)
                #expect(try await db.count("SELECT count(*) FROM webhook_dead_letter WHERE last_status = 410 AND attempts = 1") == 1)
            }
        }
    }

    @Test func slackFormatEscapesAlertText() async throws {
        let received = Received(statuses: [200])
        try await withLiveServer(received.router()) { port in
            let webhook = Self.webhook(port: port, format: .slack)
            try await Self.withDatabase(for: webhook, principal: "<!channel> <script>x</script>") { db, _ in
                let service = WebhookDeliveryService(
                    configuration: WebhookConfiguration(webhooks: [webhook]), outbox: WebhookOutbox(pool: db.pool), logger: Logger(label: "test"))
                #expect(try await service.deliverDue() == 1)
                let body = try JSONParser().parse(String(decoding: try #require(received.all.first).body, as: UTF8.self))
                let text = try #require(body["text"]?.stringValue)
                #expect(text.contains("&lt;!channel&gt; &lt;script&gt;"))
                #expect(!text.contains("<!channel>"))
                #expect(body["blocks"]?.arrayValue?.isEmpty == false)
            }
        }
    }
}

/// The webhook pieces that need no database or network.
@Suite struct WebhookUnitTests {
    static let webhook = Webhook(name: "soc", url: "https://hooks.example.com/T0/secret-token", secret: WebhookSecret([1, 2, 3]), maxAttempts: 4)

    @Test(arguments: [
        (200, 1, "delivered"), (204, 4, "delivered"), (500, 1, "retry"), (503, 3, "retry"), (429, 2, "retry"), (408, 1, "retry"),
        (500, 4, "dead"), (400, 1, "dead"), (401, 1, "dead"), (410, 2, "dead"), (302, 1, "dead"),
    ])
    func outcomes(status: Int, attempt: Int, expected: String) {
        let outcome = WebhookDeliveryService.outcome(status: status, retryAfter: nil, attempt: attempt, webhook: Self.webhook, jitter: 1)
        switch outcome {
        case .delivered: #expect(expected == "delivered")
        case .retry: #expect(expected == "retry")
        case .deadLetter: #expect(expected == "dead")
        }
    }

    @Test func transportErrorsRetryAndBackoffGrowsToItsCap() {
        let outcome = WebhookDeliveryService.outcome(status: nil, retryAfter: nil, attempt: 1, webhook: Self.webhook, jitter: 1, error: "transport")
        #expect(outcome == .retry(after: .seconds(2), status: nil, error: "transport"))
        #expect(Self.webhook.backoff(afterAttempt: 3, jitter: 1) == .seconds(8))
        #expect(Self.webhook.backoff(afterAttempt: 30, jitter: 1) == .seconds(600))
        #expect(Self.webhook.backoff(afterAttempt: 2, jitter: 0.5) == .seconds(2))
        let later = WebhookDeliveryService.outcome(status: 429, retryAfter: .seconds(30), attempt: 1, webhook: Self.webhook, jitter: 1)
        #expect(later == .retry(after: .seconds(30), status: 429, error: "HTTP 429"), "Retry-After wins when longer")
    }

    @Test func configurationReadsSecretsFromTheEnvironmentAndNeverPrintsThem() throws {
        let text = """
            {"webhooks": [{"name": "soc", "url": "https://hooks.example.com/x", "secret_env": "SOC_SECRET", "max_attempts": 5},
                          {"name": "chat", "url": "https://hooks.slack.com/services/T/B/tok", "format": "slack",
                           "decisions": ["escalate", "MONITOR"]}]}
            """
        let configuration = try WebhookConfiguration.parse(text, environment: ["SOC_SECRET": "s3cr3t-value"])
        #expect(configuration.webhooks.map(\.name) == ["soc", "chat"])
        #expect(configuration.webhooks[0].decisions == [.escalate] && configuration.webhooks[0].maxAttempts == 5)
        #expect(configuration.webhooks[1].decisions == [.escalate, .monitor] && configuration.webhooks[1].secret == nil)
        let secret = try #require(configuration.webhooks[0].secret)
        #expect(!"\(secret)".contains("s3cr3t") && !String(reflecting: secret).contains("s3cr3t"))
        #expect(configuration.webhooks[1].displayHost == "https://hooks.slack.com")
        let missing = #expect(throws: WebhookError.self) { try WebhookConfiguration.parse(text, environment: [:]) }
        #expect(missing?.code == .missingSecret)
        #expect(missing?.description.contains("SOC_SECRET") == true)
        let unsigned = #expect(throws: WebhookError.self) {
            try WebhookConfiguration.parse(#"{"webhooks": [{"name": "x", "url": "https://a.example/"}]}"#)
        }
        #expect(unsigned?.message.contains("secret") == true)
        let badName = #expect(throws: WebhookError.self) {
            try WebhookConfiguration.parse(#"{"webhooks": [{"name": "Bad Name", "url": "https://a.example/", "format": "slack"}]}"#)
        }
        #expect(badName?.message.contains("name") == true)
    }

    @Test func signaturesRefuseOldTimestampsAndOtherSecrets() {
        let body = Array(#"{"a":1}"#.utf8)
        let header = WebhookSignature.sign(body: body, timestamp: 1_000_000, secret: Self.webhook.secret!)
        #expect(header.hasPrefix("t=1000000,v1="))
        #expect(WebhookSignature.verify(header: header, body: body, secret: Self.webhook.secret!, now: 1_000_100))
        #expect(!WebhookSignature.verify(header: header, body: body, secret: Self.webhook.secret!, now: 1_000_301))
        #expect(!WebhookSignature.verify(header: header, body: body, secret: WebhookSecret([9]), now: 1_000_000))
        // Computed independently with Python's hmac: HMAC-SHA256(key 01 02 03, "1000000.{\"a\":1}").
        #expect(header == "t=1000000,v1=490e61ecdbe5eba5ee348b2934fa379d413da79051dc20fc1a41baa25fc4f546")
    }
}
