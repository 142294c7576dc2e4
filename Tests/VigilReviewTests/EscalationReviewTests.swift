import Foundation
import Testing
import VigilCore
import VigilReview

@Suite("Escalation review state machine")
struct EscalationReviewTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("acknowledge, assign, approve, close, reopen: each bumps the version and records the actor")
    func fullCycle() throws {
        var review = EscalationReview.initial
        review = try review.applying(.acknowledge, actor: "ana", recommendedAction: "disable key", at: now)
        #expect(review.state == .acknowledged && review.version == 1 && review.updatedBy == "ana")
        review = try review.applying(.assign(to: "bo"), actor: "ana", recommendedAction: "disable key", at: now)
        #expect(review.assignee == "bo" && review.version == 2)
        review = try review.applying(.approveContainment, actor: "carol", recommendedAction: "disable key", at: now)
        #expect(review.approvedAction == "disable key" && review.approvedBy == "carol" && review.approvedAt == now)
        review = try review.applying(.close(reason: "contained by IR"), actor: "carol", recommendedAction: nil, at: now)
        #expect(review.state == .closed && review.closeReason == "contained by IR" && review.version == 4)
        review = try review.applying(.reopen, actor: "dan", recommendedAction: nil, at: now)
        #expect(review.state == .open && review.closeReason == nil && review.version == 5)
        // The approval survives a reopen: it happened and stays on record.
        #expect(review.approvedAction == "disable key")
    }

    @Test(
        "transitions that do not apply are refused",
        arguments: [
            (EscalationState.closed, ReviewAction.acknowledge),
            (.closed, .assign(to: "x")),
            (.closed, .approveContainment),
            (.closed, .close(reason: "again")),
            (.open, .reopen),
            (.acknowledged, .reopen),
            (.acknowledged, .acknowledge),
        ]
    )
    func refused(state: EscalationState, action: ReviewAction) {
        let review = EscalationReview(state: state, closeReason: state == .closed ? "r" : nil, version: 3)
        #expect(throws: ReviewError.self) {
            try review.applying(action, actor: "ana", recommendedAction: "disable key", at: now)
        }
        do {
            _ = try review.applying(action, actor: "ana", recommendedAction: "disable key", at: now)
        } catch {
            #expect(error.code == .invalidTransition)
        }
    }

    @Test("approving without a recommended containment is refused")
    func approveNeedsRecommendation() {
        for recommended in [nil, ""] as [String?] {
            #expect(throws: ReviewError.self) {
                try EscalationReview.initial.applying(.approveContainment, actor: "ana", recommendedAction: recommended, at: now)
            }
        }
    }

    @Test("close needs a reason; assign needs an assignee; unknown actions are named")
    func parsing() throws {
        for reason in [nil, "", "   \n"] as [String?] {
            do {
                _ = try ReviewAction.parse(name: "close", assignee: nil, reason: reason)
                Issue.record("a blank reason was accepted")
            } catch {
                #expect(error.code == .invalidArgument && error.field == "reason")
            }
        }
        #expect(try ReviewAction.parse(name: "close", assignee: nil, reason: "  benign: admin rotation ") == .close(reason: "benign: admin rotation"))
        #expect(try ReviewAction.parse(name: "assign", assignee: "bo", reason: nil) == .assign(to: "bo"))
        #expect(throws: ReviewError.self) { try ReviewAction.parse(name: "assign", assignee: nil, reason: nil) }
        do {
            _ = try ReviewAction.parse(name: "delete", assignee: nil, reason: nil)
            Issue.record("an unknown action was accepted")
        } catch {
            #expect(error.field == "action")
        }
    }

    @Test("cursors round-trip and malformed ones are refused")
    func cursor() throws {
        let cursor = EscalationCursor(createdMicros: 1_800_000_000_123_456, alertID: UUID())
        #expect(try EscalationCursor(text: cursor.text) == cursor)
        for bad in ["", "%%%", Data("12:not-a-uuid".utf8).base64EncodedString()] {
            #expect(throws: ReviewError.self) { try EscalationCursor(text: bad) }
        }
    }

    @Test("flattening names every leaf by its path and keeps strings verbatim")
    func flattened() throws {
        let value = try JSONParser().parse(#"{"ai":{"tool_calls":[{"name":"lookup_ip_reputation","evidence_ids":[]}],"cost_usd":0.25},"x":null}"#)
        let entries = value.flattened()
        #expect(entries.map(\.path) == ["ai.tool_calls[0].name", "ai.tool_calls[0].evidence_ids", "ai.cost_usd", "x"])
        #expect(entries.map(\.value) == ["lookup_ip_reputation", "[]", "0.25", "null"])
        let big = JSONValue.array((0..<10).map { .int(Int64($0)) })
        let limited = big.flattened(limit: 4)
        #expect(limited.count == 5 && limited.last?.value == "6 more values not shown")
    }
}
