import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import VigilCore

/// The delivery loop: claims due outbox rows of the configured webhooks, POSTs each (signed), and records the
/// outcome: delivered (row removed), retried with exponential backoff, or dead-lettered after the last try or a
/// permanent refusal. At-least-once: a receiver deduplicates on the `Vigil-Delivery` header.
///
/// Several coordinators may run it at once (claims skip each other's rows). Logs name the webhook, the URL's host
/// and the alert id; never the URL, the secret or the body. Lifecycle: a `Service`; stops on graceful shutdown
/// after the tries in progress.
public struct WebhookDeliveryService: Service {
    public let configuration: WebhookConfiguration
    public let outbox: WebhookOutbox
    let client: HTTPClient
    let logger: Logger
    let now: @Sendable () -> Date

    public init(
        configuration: WebhookConfiguration, outbox: WebhookOutbox, client: HTTPClient = .shared, logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.configuration = configuration
        self.outbox = outbox
        self.client = client
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        try await outbox.sync(configuration.webhooks)
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let sent = try await deliverDue()
                failures = 0
                if sent == configuration.batch { continue }
            } catch {
                failures += 1
                logger.warning("webhook delivery loop failed", metadata: ["error": "\(error)"])
            }
            let pause = failures == 0 ? configuration.pollInterval : min(.seconds(30), configuration.pollInterval * (1 << min(failures, 5)))
            try? await Task.sleep(for: pause)
        }
    }

    /// Claims and delivers one batch of due notifications; returns how many were tried.
    @discardableResult
    public func deliverDue() async throws -> Int {
        let webhooks = Dictionary(uniqueKeysWithValues: configuration.webhooks.map { ($0.name, $0) })
        let lease = (configuration.webhooks.map(\.timeout).max() ?? .seconds(10)) + .seconds(30)
        let due = try await outbox.claim(subscriptions: Array(webhooks.keys), limit: configuration.batch, lease: lease)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for notification in due {
                guard let webhook = webhooks[notification.subscription] else { continue }
                group.addTask {
                    let outcome = await deliver(notification, to: webhook)
                    try await outbox.record(outcome, for: notification)
                    log(outcome, notification, webhook)
                }
            }
            try await group.waitForAll()
        }
        return due.count
    }

    /// Sends one notification and classifies the answer.
    func deliver(_ notification: WebhookNotification, to webhook: Webhook) async -> WebhookDeliveryOutcome {
        let body = notification.body(format: webhook.format, includeRationale: webhook.includeRationale)
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "vigil-webhook/1")
        request.headers.add(name: "Vigil-Event", value: notification.eventName)
        request.headers.add(name: "Vigil-Delivery", value: notification.deliveryID)
        request.headers.add(name: "Vigil-Attempt", value: String(notification.attempt))
        if let secret = webhook.secret {
            let timestamp = Int64(now().timeIntervalSince1970)
            request.headers.add(name: "Vigil-Timestamp", value: String(timestamp))
            request.headers.add(name: WebhookSignature.header, value: WebhookSignature.sign(body: body, timestamp: timestamp, secret: secret))
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(webhook.timeout.milliseconds))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let retryAfter = response.headers.first(name: "retry-after").flatMap(Double.init).map { Duration.milliseconds(Int64($0 * 1000)) }
            return Self.outcome(status: Int(response.status.code), retryAfter: retryAfter, attempt: notification.attempt, webhook: webhook,
                jitter: Double.random(in: 0.5...1))
        } catch {
            return Self.outcome(status: nil, retryAfter: nil, attempt: notification.attempt, webhook: webhook, jitter: Double.random(in: 0.5...1),
                error: "transport: \(type(of: error))")
        }
    }

    /// The outcome of a try that ended with `status` (nil: no answer). 2xx delivers; 408, 429, 5xx and transport
    /// errors retry after the backoff (or `Retry-After`, when longer) until `maxAttempts`; other statuses are
    /// permanent and dead-letter at once.
    public static func outcome(
        status: Int?, retryAfter: Duration?, attempt: Int, webhook: Webhook, jitter: Double, error: String? = nil
    ) -> WebhookDeliveryOutcome {
        if let status, (200..<300).contains(status) { return .delivered }
        let reason = error ?? "HTTP \(status ?? 0)"
        let transient = status.map { $0 == 408 || $0 == 429 || $0 >= 500 } ?? true
        guard transient else { return .deadLetter(status: status, error: "\(reason): refused for good") }
        guard attempt < webhook.maxAttempts else { return .deadLetter(status: status, error: "\(reason) after \(attempt) tries") }
        var delay = webhook.backoff(afterAttempt: attempt, jitter: jitter)
        if let retryAfter, retryAfter > delay { delay = min(retryAfter, webhook.maxDelay) }
        return .retry(after: delay, status: status, error: reason)
    }

    private func log(_ outcome: WebhookDeliveryOutcome, _ notification: WebhookNotification, _ webhook: Webhook) {
        let metadata: Logger.Metadata = [
            "webhook": "\(webhook.name)", "host": "\(webhook.displayHost)", "alert_id": "\(notification.alertID.uuidString.lowercased())",
            "attempt": "\(notification.attempt)",
        ]
        let name: String
        switch outcome {
        case .delivered: name = "delivered"
        case .retry: name = "retry"
        case .deadLetter: name = "dead_letter"
        }
        Counter(label: MetricName.webhookDeliveries, dimensions: [("webhook", webhook.name), ("outcome", name)]).increment()
        switch outcome {
        case .delivered:
            logger.debug("webhook delivered", metadata: metadata)
        case .retry(let delay, _, let error):
            logger.info("webhook try failed; will retry", metadata: metadata.merging(["error": "\(error)", "delay": "\(delay)"]) { $1 })
        case .deadLetter(_, let error):
            logger.warning("webhook dead-lettered", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }
}
