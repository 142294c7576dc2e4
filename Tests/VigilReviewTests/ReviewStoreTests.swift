import Foundation
import Testing
import VigilCore
import VigilPostgres
import VigilReview

@Suite("Review store against PostgreSQL")
struct ReviewStoreTests {
    let ana = ReviewActor(name: "ana")

    @Test("only ESCALATE verdicts are listed; filters by state, severity, principal and age; keyset pages are stable")
    func listing() async throws {
        try await ReviewDatabase.with { db in
            let store = ReviewStore(pool: db.pool)
            var ids: [UUID] = []
            for age in 1...7 {
                ids.append(try await db.seed(severity: age % 2 == 0 ? "critical" : "high", ageSeconds: Int64(age * 100), shard: age % 3))
            }
            try await db.seed(decision: "MONITOR")
            try await db.seed(principal: "arn:aws:iam::123456789012:role/bob", ageSeconds: 5000)

            // Newest first; MONITOR is not an escalation.
            let all = try await store.list(EscalationFilter(limit: 100))
            #expect(all.items.count == 8)
            #expect(Array(all.items.prefix(7).map(\.alertID)) == ids)
            #expect(all.nextCursor == nil)

            #expect(try await store.list(EscalationFilter(severities: ["critical"])).items.map(\.alertID) == [ids[1], ids[3], ids[5]])
            #expect(try await store.list(EscalationFilter(principal: "arn:aws:iam::123456789012:role/bob")).items.count == 1)
            #expect(try await store.list(EscalationFilter(minAgeSeconds: 450, maxAgeSeconds: 650)).items.map(\.alertID) == [ids[4], ids[5]])

            // Pages of 3: the cursor continues exactly where the last page ended, even when a newer escalation arrives meanwhile.
            var seen: [UUID] = []
            var filter = EscalationFilter(limit: 3)
            var pages = 0
            repeat {
                let page = try await store.list(filter)
                seen += page.items.map(\.alertID)
                filter.cursor = page.nextCursor
                pages += 1
                if pages == 1 { try await db.seed(ageSeconds: 0) }
            } while filter.cursor != nil
            #expect(pages == 3)
            #expect(seen == all.items.map(\.alertID))

            // State filter after an action.
            let review = try await store.perform(.close(reason: "benign"), on: ids[0], expectedVersion: 0, actor: ana)
            #expect(review.state == .closed)
            #expect(try await store.list(EscalationFilter(states: [.closed])).items.map(\.alertID) == [ids[0]])
            #expect(!(try await store.list(EscalationFilter(states: [.open], limit: 100)).items.map(\.alertID).contains(ids[0])))

            do {
                _ = try await store.list(EscalationFilter(limit: 0))
                Issue.record("limit 0 accepted")
            } catch let error as ReviewError {
                #expect(error.field == "limit")
            }
        }
    }

    @Test("every action writes an audit record with actor, previous and new state; the detail carries everything")
    func actionsAreAudited() async throws {
        try await ReviewDatabase.with { db in
            let store = ReviewStore(pool: db.pool)
            let id = try await db.seed(shard: 5)
            var version: Int64 = 0
            for action in [ReviewAction.acknowledge, .assign(to: "bo"), .approveContainment, .close(reason: "contained by IR"), .reopen] {
                version = try await store.perform(action, on: id, expectedVersion: version, actor: ana).version
            }
            #expect(version == 5)
            let detail = try await store.detail(id)
            #expect(detail.summary.review.state == .open)
            #expect(detail.summary.review.approvedAction == "Disable the access key")
            #expect(detail.summary.review.approvedBy == "ana")
            #expect(detail.audit.map(\.action) == ["acknowledge", "assign", "approve", "close", "reopen"])
            #expect(detail.audit.map { $0.previous["state"]?.stringValue } == ["open", "acknowledged", "acknowledged", "acknowledged", "closed"])
            #expect(detail.audit.map { $0.new["state"]?.stringValue } == ["acknowledged", "acknowledged", "acknowledged", "closed", "open"])
            #expect(detail.audit.allSatisfy { $0.actor == "ana" })
            #expect(detail.audit[3].detail["reason"] == "contained by IR")
            #expect(detail.audit[2].detail["approved_action"] == "Disable the access key")
            // Everything behind it: rule hits with authors, AI audit, evidence, guardrails.
            #expect(detail.triage["rule_hits"]?.arrayValue?.first?["author"] == "Vigil SOC")
            #expect(detail.triage["ai"]?["cost_usd"] == .double(0.0123))
            #expect(detail.evidence.arrayValue?.count == 1)
            #expect(detail.summary.guardrails == ["privileged_principal"])
            #expect(detail.payload["eventName"] == "CreateRole")

            // Not an escalation: not found.
            let monitor = try await db.seed(decision: "MONITOR")
            await #expect(throws: ReviewError.self) { try await store.detail(monitor) }
            await #expect(throws: ReviewError.self) { try await store.perform(.acknowledge, on: monitor, expectedVersion: 0, actor: ana) }
        }
    }

    @Test("concurrent edits on one version: exactly one wins, the others get version_conflict; nothing is lost", arguments: [0, 2])
    func concurrentEdits(startVersion: Int) async throws {
        try await ReviewDatabase.with { db in
            let store = ReviewStore(pool: db.pool)
            let id = try await db.seed()
            var version: Int64 = 0
            for _ in 0..<startVersion {
                version = try await store.perform(.assign(to: "setup-\(version)"), on: id, expectedVersion: version, actor: ana).version
            }
            let base = version
            let outcomes = await withTaskGroup(of: Result<EscalationReview, ReviewError>.self) { group in
                for analyst in 0..<6 {
                    group.addTask {
                        do {
                            return .success(
                                try await store.perform(
                                    .assign(to: "analyst-\(analyst)"),
                                    on: id,
                                    expectedVersion: base,
                                    actor: ReviewActor(name: "analyst-\(analyst)")
                                )
                            )
                        } catch let error as ReviewError {
                            return .failure(error)
                        } catch {
                            return .failure(ReviewError(.notFound, "unexpected \(error)"))
                        }
                    }
                }
                var results: [Result<EscalationReview, ReviewError>] = []
                for await result in group { results.append(result) }
                return results
            }
            let winners = outcomes.compactMap { try? $0.get() }
            let losers = outcomes.compactMap { result -> ReviewError? in if case .failure(let e) = result { e } else { nil } }
            #expect(winners.count == 1)
            #expect(losers.count == 5)
            #expect(losers.allSatisfy { $0.code == .versionConflict && $0.currentVersion == base + 1 })
            let detail = try await store.detail(id)
            #expect(detail.summary.review.assignee == winners.first?.assignee)
            #expect(detail.summary.review.version == base + 1)
            #expect(detail.audit.count == startVersion + 1)
            // A stale version is refused even sequentially.
            await #expect(throws: ReviewError.self) { try await store.perform(.acknowledge, on: id, expectedVersion: base, actor: ana) }
        }
    }

    @Test("the audit log is append-only in the database: UPDATE, DELETE and TRUNCATE fail even for its owner")
    func auditAppendOnly() async throws {
        try await ReviewDatabase.with { db in
            let store = ReviewStore(pool: db.pool)
            let id = try await db.seed()
            _ = try await store.perform(.close(reason: "false positive: red team exercise"), on: id, expectedVersion: 0, actor: ana)
            for statement in [
                "UPDATE review_audit SET actor = 'mallory'", "DELETE FROM review_audit", "TRUNCATE review_audit",
            ] {
                do {
                    try await db.pool.query(statement)
                    Issue.record("\(statement) succeeded")
                } catch let error as PostgresError {
                    #expect(error.sqlState == "P0001")
                }
            }
            let rows = try await db.pool.query("SELECT actor FROM review_audit")
            #expect(rows.count == 1)
            #expect(try rows[0].decode(String.self, column: "actor") == "ana")
        }
    }
}
