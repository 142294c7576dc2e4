import Foundation
import VigilCore
import VigilPostgres

/// The statements on `webhook_subscription`, `webhook_outbox` and `webhook_dead_letter`.
///
/// Rows are written by the workers' completion statement (with the verdict); this type claims due rows, leases them
/// for the length of a try, and records the outcome, each change fenced by the try's `attempt`.
public struct WebhookOutbox: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// $1 names, $2 decision lists as JSON arrays. Upserts each configured subscription (enabled).
    static let syncSQL = """
        INSERT INTO webhook_subscription (name, decisions, enabled, updated_at)
        SELECT n, ARRAY(SELECT jsonb_array_elements_text(d::jsonb)), true, now() FROM unnest($1::text[], $2::text[]) AS t(n, d)
        ON CONFLICT (name) DO UPDATE SET decisions = EXCLUDED.decisions, enabled = true, updated_at = now()
        """

    /// Makes the database's subscriptions match `webhooks` (their names and classes). Subscriptions not configured here
    /// are left as they are (another coordinator may run another version of the file during a rolling update);
    /// disable one with `UPDATE webhook_subscription SET enabled = false`.
    public func sync(_ webhooks: [Webhook]) async throws {
        guard !webhooks.isEmpty else { return }
        let lists = webhooks.map { webhook in
            JSONValue.array(webhook.decisions.map(\.rawValue).sorted().map(JSONValue.string)).jsonText
        }
        try await pool.query(Self.syncSQL, [webhooks.map(\.name), lists])
    }

    /// $1 subscriptions, $2 limit, $3 lease milliseconds. Claims due rows of these subscriptions, counting the try
    /// and pushing `next_attempt_at` past the try's end (a delivery loop that dies mid-try leaves the row to be
    /// retried then), and reads what the notification says.
    static let claimSQL = """
        WITH due AS (
            SELECT o.shard, o.alert_id, o.subscription, o.event FROM webhook_outbox o
            WHERE o.subscription = ANY ($1::text[]) AND o.next_attempt_at <= now()
            ORDER BY o.next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
        ), leased AS (
            UPDATE webhook_outbox o SET attempt = o.attempt + 1, next_attempt_at = now() + $3 * interval '1 millisecond'
            FROM due WHERE o.shard = due.shard AND o.alert_id = due.alert_id AND o.subscription = due.subscription AND o.event = due.event
            RETURNING o.shard, o.alert_id, o.subscription, o.decision, o.attempt, o.event
        )
        SELECT l.shard, l.alert_id, l.subscription, l.decision, l.attempt,
            a.source, a.external_id, a.kind, a.severity, a.occurred_at, a.principal, a.resource, a.account,
            v.decided_by, v.confidence, coalesce(v.guardrails, '{}'), coalesce(v.flags, '{}'), v.recommended_action, v.rationale, v.created_at,
            l.event, r.approved_action, r.approved_by, r.approved_at
        FROM leased l
        JOIN alert a ON a.shard = l.shard AND a.id = l.alert_id
        LEFT JOIN verdict v ON v.shard = l.shard AND v.alert_id = l.alert_id
        LEFT JOIN escalation_review r ON l.event = 'approval' AND r.shard = l.shard AND r.alert_id = l.alert_id
        """

    /// Claims up to `limit` due notifications of `subscriptions`, leased for `lease`.
    public func claim(subscriptions: [String], limit: Int, lease: Duration) async throws -> [WebhookNotification] {
        let rows = try await pool.query(Self.claimSQL, [subscriptions, limit, lease.milliseconds])
        return try rows.map { row in
            WebhookNotification(
                shard: try row.decode(Int.self, at: 0), alertID: try row.decode(UUID.self, at: 1), subscription: try row.decode(String.self, at: 2),
                decision: Decision(rawValue: try row.decode(String.self, at: 3)) ?? .escalate, attempt: try row.decode(Int.self, at: 4),
                source: try row.decode(String.self, at: 5), externalID: try row.decode(String.self, at: 6), kind: try row.decode(String.self, at: 7),
                severity: try row.decode(String.self, at: 8), occurredAt: try row.decode(Date.self, at: 9),
                principal: try row.decode(String?.self, at: 10), resource: try row.decode(String?.self, at: 11),
                account: try row.decode(String?.self, at: 12), decidedBy: try row.decode(String?.self, at: 13),
                confidence: try row.decode(Double?.self, at: 14), guardrails: try row.decode([String].self, at: 15),
                flags: try row.decode([String].self, at: 16), recommendedAction: try row.decode(String?.self, at: 17),
                rationale: try row.decode(String?.self, at: 18), decidedAt: try row.decode(Date?.self, at: 19),
                event: WebhookNotification.Event(rawValue: try row.decode(String.self, at: 20)) ?? .verdict,
                approval: try WebhookNotification.Approval(
                    action: row.decode(String?.self, at: 21), by: row.decode(String?.self, at: 22), at: row.decode(Date?.self, at: 23)))
        }
    }

    /// The key and fence of one try: $1 shard, $2 alert id, $3 subscription, $4 attempt, $5 event.
    private static let match = "shard = $1 AND alert_id = $2 AND subscription = $3 AND attempt = $4 AND event = $5"

    static let deliveredSQL = "DELETE FROM webhook_outbox WHERE \(match)"

    /// $6 delay milliseconds, $7 status (or NULL), $8 error.
    static let retrySQL = """
        UPDATE webhook_outbox SET next_attempt_at = now() + $6 * interval '1 millisecond', last_status = $7, last_error = $8
        WHERE \(match)
        """

    /// $6 status (or NULL), $7 error.
    static let deadLetterSQL = """
        WITH moved AS (
            DELETE FROM webhook_outbox WHERE \(match)
            RETURNING shard, alert_id, subscription, event, decision, created_at, attempt
        )
        INSERT INTO webhook_dead_letter (shard, alert_id, subscription, event, decision, created_at, attempts, last_status, last_error)
        SELECT shard, alert_id, subscription, event, decision, created_at, attempt, $6, $7 FROM moved
        ON CONFLICT (shard, alert_id, subscription, event) DO UPDATE
        SET attempts = EXCLUDED.attempts, last_status = EXCLUDED.last_status, last_error = EXCLUDED.last_error, died_at = now()
        """

    /// Records the outcome of one try; a try whose row moved on meanwhile (another loop's try) changes nothing.
    public func record(_ outcome: WebhookDeliveryOutcome, for notification: WebhookNotification) async throws {
        let key: [any PostgresEncodable] = [
            notification.shard, notification.alertID, notification.subscription, notification.attempt, notification.event.rawValue,
        ]
        switch outcome {
        case .delivered:
            try await pool.query(Self.deliveredSQL, key)
        case .retry(let delay, let status, let error):
            try await pool.query(Self.retrySQL, key + [delay.milliseconds, status, error])
        case .deadLetter(let status, let error):
            try await pool.query(Self.deadLetterSQL, key + [status, error])
        }
    }

    /// Notifications waiting (due or not) and dead-lettered, for metrics.
    public func counts() async throws -> (pending: Int, dead: Int) {
        let row = try await pool.query("SELECT (SELECT count(*) FROM webhook_outbox), (SELECT count(*) FROM webhook_dead_letter)")[0]
        return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1))
    }
}

/// What one try's answer means, explicitly (STYLE §5).
public enum WebhookDeliveryOutcome: Sendable, Hashable {
    /// A 2xx: remove the row.
    case delivered
    /// Try again after `delay`; `status` is the HTTP status when one arrived.
    case retry(after: Duration, status: Int?, error: String)
    /// Give up: move the row to `webhook_dead_letter`.
    case deadLetter(status: Int?, error: String)
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
