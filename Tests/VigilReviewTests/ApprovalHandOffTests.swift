import Foundation
import Testing
import VigilCore
import VigilPostgres
import VigilReview
import VigilWebhooks

/// Vigil executes nothing: an approval of the recommended containment is handed to the team's own tooling through the
/// webhooks, written in the review's transaction.
@Suite("Approval hand-off through the webhook outbox")
struct ApprovalHandOffTests {
    @Test("approving queues one approval notification per subscription notified of escalations, with who approved what")
    func approvalIsAnnounced() async throws {
        try await ReviewDatabase.with { db in
            try await db.pool.query(
                "INSERT INTO webhook_subscription (name, decisions) VALUES ('soc', '{ESCALATE}'), ('closures', '{CLOSE}')")
            let id = try await db.seed(recommendedAction: "Disable the access key AKIA…")
            let store = ReviewStore(pool: db.pool)
            let outbox = WebhookOutbox(pool: db.pool)

            // Acknowledging announces nothing.
            _ = try await store.perform(.acknowledge, on: id, expectedVersion: 0, actor: ReviewActor(name: "ana"))
            #expect(try await outbox.claim(subscriptions: ["soc", "closures"], limit: 10, lease: .seconds(30)).isEmpty)

            let approved = try await store.perform(.approveContainment, on: id, expectedVersion: 1, actor: ReviewActor(name: "bo"))
            let claimed = try await outbox.claim(subscriptions: ["soc", "closures"], limit: 10, lease: .seconds(30))
            #expect(claimed.count == 1)
            let notification = try #require(claimed.first)
            #expect(notification.subscription == "soc")
            #expect(notification.event == .approval)
            #expect(notification.eventName == "approval.containment")
            #expect(notification.approval?.by == "bo")
            #expect(notification.approval?.action == approved.approvedAction)
            #expect(notification.deliveryID.hasSuffix(":approval"))

            let body = try JSONParser().parse(notification.body(format: .vigil, includeRationale: false))
            #expect(body.value(atPath: "type")?.stringValue == "vigil.approval")
            #expect(body.value(atPath: "approval.approved_by")?.stringValue == "bo")
            #expect(body.value(atPath: "approval.action")?.stringValue == "Disable the access key AKIA…")
            #expect(body.value(atPath: "alert.id")?.stringValue == id.uuidString.lowercased())
            let slack = String(decoding: notification.body(format: .slack, includeRationale: false), as: UTF8.self)
            #expect(slack.contains("Approved") && slack.contains("APPROVED by bo"))

            // Delivered: gone. A re-approval after a reopen announces again.
            try await outbox.record(.delivered, for: notification)
            _ = try await store.perform(.close(reason: "handed to IR"), on: id, expectedVersion: 2, actor: ReviewActor(name: "ana"))
            _ = try await store.perform(.reopen, on: id, expectedVersion: 3, actor: ReviewActor(name: "ana"))
            #expect(try await outbox.claim(subscriptions: ["soc"], limit: 10, lease: .seconds(30)).isEmpty)
            _ = try await store.perform(.approveContainment, on: id, expectedVersion: 4, actor: ReviewActor(name: "cy"))
            let again = try await outbox.claim(subscriptions: ["soc"], limit: 10, lease: .seconds(30))
            #expect(again.map(\.approval?.by) == ["cy"])
        }
    }

    @Test("an approval and the escalation's own pending verdict notification are separate deliveries")
    func approvalBesideVerdictNotification() async throws {
        try await ReviewDatabase.with { db in
            try await db.pool.query("INSERT INTO webhook_subscription (name, decisions) VALUES ('soc', '{ESCALATE}')")
            let id = try await db.seed()
            try await db.pool.query("INSERT INTO webhook_outbox (shard, alert_id, subscription, decision) VALUES (0, $1, 'soc', 'ESCALATE')", [id])
            _ = try await ReviewStore(pool: db.pool).perform(.approveContainment, on: id, expectedVersion: 0, actor: ReviewActor(name: "bo"))
            let claimed = try await WebhookOutbox(pool: db.pool).claim(subscriptions: ["soc"], limit: 10, lease: .seconds(30))
            #expect(Set(claimed.map(\.event)) == [.verdict, .approval])
            #expect(Set(claimed.map(\.deliveryID)).count == 2)
            // A failed approval delivery is dead-lettered on its own, the verdict's row untouched.
            let approval = try #require(claimed.first { $0.event == .approval })
            try await WebhookOutbox(pool: db.pool).record(.deadLetter(status: 410, error: "gone"), for: approval)
            let rows = try await db.pool.query("SELECT event FROM webhook_dead_letter UNION ALL SELECT 'pending:' || event FROM webhook_outbox")
            #expect(Set(try rows.map { try $0.decode(String.self, at: 0) }) == ["approval", "pending:verdict"])
        }
    }
}
