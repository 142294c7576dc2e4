import Foundation
import VigilCore
import VigilPostgres

/// The escalation queue and its review actions, over the `verdict`, `alert`, `escalation_review` and
/// `review_audit` tables.
///
/// Concurrency: every action names the version it was decided on; the save is a compare-and-set on that
/// version, so of two analysts acting on the same version exactly one succeeds and the other gets
/// ``ReviewError/Code/versionConflict`` with the current version. The review row and its audit record are
/// written in one transaction.
public struct ReviewStore: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    static let summaryColumns = """
        v.alert_id, v.shard, v.created_at AS escalated_at,
        (extract(epoch FROM v.created_at) * 1000000)::bigint AS escalated_us,
        v.confidence, v.decided_by, v.recommended_action, v.guardrails,
        a.severity, a.kind, a.source, a.principal, a.resource, a.occurred_at,
        coalesce(r.state, 'open') AS state, r.assignee, r.approved_action, r.approved_by, r.approved_at, r.close_reason,
        coalesce(r.version, 0) AS version, r.updated_by, r.updated_at
        """

    static let list = """
        SELECT \(summaryColumns)
        FROM verdict v
        JOIN alert a ON a.shard = v.shard AND a.id = v.alert_id
        LEFT JOIN escalation_review r ON r.shard = v.shard AND r.alert_id = v.alert_id
        WHERE v.decision = 'ESCALATE'
          AND ($1::text[] IS NULL OR coalesce(r.state, 'open') = ANY ($1::text[]))
          AND ($2::text[] IS NULL OR a.severity = ANY ($2::text[]))
          AND ($3::text IS NULL OR a.principal = $3::text)
          AND ($4::bigint IS NULL OR v.created_at <= now() - $4::bigint * interval '1 second')
          AND ($5::bigint IS NULL OR v.created_at >= now() - $5::bigint * interval '1 second')
          AND ($6::bigint IS NULL
               OR (v.created_at, v.alert_id) < (timestamptz 'epoch' + $6::bigint * interval '1 microsecond', $7::uuid))
        ORDER BY v.created_at DESC, v.alert_id DESC
        LIMIT $8
        """

    static let detail = """
        SELECT \(summaryColumns),
               a.external_id, a.account, host(a.source_ip) AS source_ip, a.received_at, a.payload::text AS payload,
               v.rationale, v.flags, v.evidence::text AS evidence, v.triage::text AS triage
        FROM alert a
        JOIN verdict v ON v.shard = a.shard AND v.alert_id = a.id AND v.decision = 'ESCALATE'
        LEFT JOIN escalation_review r ON r.shard = v.shard AND r.alert_id = v.alert_id
        WHERE a.id = $1
        """

    static let auditTrail = """
        SELECT id, actor, action, at, previous::text AS previous, new::text AS new, detail::text AS detail
        FROM review_audit WHERE shard = $1 AND alert_id = $2 ORDER BY id
        """

    static let insertReview = """
        INSERT INTO escalation_review
            (shard, alert_id, state, assignee, approved_action, approved_by, approved_at, close_reason, version, updated_by, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (shard, alert_id) DO NOTHING
        RETURNING version
        """

    static let updateReview = """
        UPDATE escalation_review
        SET state = $3, assignee = $4, approved_action = $5, approved_by = $6, approved_at = $7, close_reason = $8,
            version = $9, updated_by = $10, updated_at = $11
        WHERE shard = $1 AND alert_id = $2 AND version = $9 - 1
        RETURNING version
        """

    static let insertAudit = """
        INSERT INTO review_audit (shard, alert_id, actor, actor_token, action, at, previous, new, detail)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """

    static let currentVersion = "SELECT version FROM escalation_review WHERE shard = $1 AND alert_id = $2"

    /// A page of escalations matching `filter`, newest first.
    ///
    /// - Throws: ``ReviewError`` for an invalid filter; ``PostgresError`` when the database fails.
    public func list(_ filter: EscalationFilter) async throws -> EscalationPage {
        try filter.validate()
        let states: [String]? = filter.states.isEmpty ? nil : filter.states.map(\.rawValue).sorted()
        let severities: [String]? = filter.severities.isEmpty ? nil : filter.severities.sorted()
        let parameters: [any PostgresEncodable] = [
            states, severities, filter.principal, filter.minAgeSeconds, filter.maxAgeSeconds,
            filter.cursor?.createdMicros, filter.cursor?.alertID, filter.limit + 1,
        ]
        let rows = try await pool.query(Self.list, parameters)
        var items = try rows.map(Self.summary)
        var next: EscalationCursor?
        if items.count > filter.limit {
            items.removeLast()
            next = items.last?.cursor
        }
        return EscalationPage(items: items, nextCursor: next)
    }

    /// The escalation for alert `id`, with everything behind it and its audit trail.
    ///
    /// - Throws: ``ReviewError/Code/notFound`` when the alert has no ESCALATE verdict; ``PostgresError``.
    public func detail(_ id: UUID) async throws -> EscalationDetail {
        guard let row = try await pool.query(Self.detail, [id]).first else {
            throw ReviewError(.notFound, "no escalation with that alert id")
        }
        let summary = try Self.summary(row)
        let audit = try await pool.query(Self.auditTrail, [summary.shard, id]).map { row in
            AuditRecord(
                id: try row.decode(Int64.self, column: "id"),
                actor: try row.decode(String.self, column: "actor"),
                action: try row.decode(String.self, column: "action"),
                at: try row.decode(Date.self, column: "at"),
                previous: try Self.json(row, "previous"),
                new: try Self.json(row, "new"),
                detail: try Self.json(row, "detail")
            )
        }
        return EscalationDetail(
            summary: summary,
            externalID: try row.decode(String.self, column: "external_id"),
            account: try row.decode(String?.self, column: "account"),
            sourceIP: try row.decode(String?.self, column: "source_ip"),
            receivedAt: try row.decode(Date.self, column: "received_at"),
            payload: try Self.json(row, "payload"),
            rationale: try row.decode(String.self, column: "rationale"),
            flags: try row.decode([String].self, column: "flags"),
            evidence: try Self.json(row, "evidence"),
            triage: try Self.json(row, "triage"),
            audit: audit
        )
    }

    /// Performs `action` on escalation `id` as `actor`, if its review is still at `expectedVersion`, and
    /// appends the audit record, in one transaction.
    ///
    /// - Returns: the review after the action.
    /// - Throws: ``ReviewError`` (`notFound`, `versionConflict` with the current version, `invalidTransition`);
    ///   ``PostgresError`` when the database fails (nothing is written then).
    public func perform(
        _ action: ReviewAction,
        on id: UUID,
        expectedVersion: Int64,
        actor: ReviewActor
    ) async throws -> EscalationReview {
        let current = try await detailHeader(id)
        guard current.review.version == expectedVersion else {
            throw ReviewError(
                .versionConflict,
                "the escalation changed since version \(expectedVersion); reload it and decide again",
                currentVersion: current.review.version
            )
        }
        let now = Date()
        let next = try current.review.applying(action, actor: actor.name, recommendedAction: current.recommendedAction, at: now)
        var detail: JSONObject = [:]
        switch action {
        case .assign(let assignee): detail["assignee"] = .string(assignee)
        case .close(let reason): detail["reason"] = .string(reason)
        case .approveContainment: detail["approved_action"] = next.approvedAction.map(JSONValue.string) ?? .null
        case .acknowledge, .reopen: break
        }
        let detailJSON = detail
        let saved = try await pool.withTransaction { connection in
            let review: [any PostgresEncodable] = [
                current.shard, id, next.state.rawValue, next.assignee, next.approvedAction, next.approvedBy, next.approvedAt,
                next.closeReason, next.version, actor.name, now,
            ]
            let rows = try await connection.query(expectedVersion == 0 ? Self.insertReview : Self.updateReview, review)
            guard !rows.isEmpty else { return false }
            try await connection.query(
                Self.insertAudit,
                [
                    current.shard, id, actor.name, actor.tokenID, action.name, now,
                    PostgresJSON(current.review.json.jsonText), PostgresJSON(next.json.jsonText), PostgresJSON(JSONValue.object(detailJSON).jsonText),
                ]
            )
            if case .approveContainment = action {
                // Vigil executes nothing: the approval is handed to the team's own tooling through the webhooks,
                // committed with the review so that an approval is announced exactly when it is recorded.
                try await connection.query(Self.enqueueApproval, [current.shard, id])
            }
            return true
        }
        guard saved else {
            let version = try await pool.query(Self.currentVersion, [current.shard, id]).first?.decode(Int64.self, column: "version")
            throw ReviewError(
                .versionConflict,
                "the escalation changed since version \(expectedVersion); reload it and decide again",
                currentVersion: version ?? 0
            )
        }
        return next
    }

    /// $1 shard, $2 alert id. One `approval` outbox row per enabled subscription notified of escalations; a
    /// re-approval after a reopen announces again.
    static let enqueueApproval = """
        INSERT INTO webhook_outbox (shard, alert_id, subscription, event, decision)
        SELECT $1, $2, s.name, 'approval', 'ESCALATE' FROM webhook_subscription s WHERE s.enabled AND 'ESCALATE' = ANY (s.decisions)
        ON CONFLICT (shard, alert_id, subscription, event) DO UPDATE
        SET attempt = 0, next_attempt_at = now(), created_at = now(), last_status = NULL, last_error = NULL
        """

    private struct Header {
        var shard: Int
        var review: EscalationReview
        var recommendedAction: String?
    }

    private func detailHeader(_ id: UUID) async throws -> Header {
        guard let row = try await pool.query(Self.detail, [id]).first else {
            throw ReviewError(.notFound, "no escalation with that alert id")
        }
        let summary = try Self.summary(row)
        return Header(shard: summary.shard, review: summary.review, recommendedAction: summary.recommendedAction)
    }

    static func summary(_ row: PostgresRow) throws -> EscalationSummary {
        let id = try row.decode(UUID.self, column: "alert_id")
        let state = try row.decode(String.self, column: "state")
        let review = EscalationReview(
            state: EscalationState(rawValue: state) ?? .open,
            assignee: try row.decode(String?.self, column: "assignee"),
            approvedAction: try row.decode(String?.self, column: "approved_action"),
            approvedBy: try row.decode(String?.self, column: "approved_by"),
            approvedAt: try row.decode(Date?.self, column: "approved_at"),
            closeReason: try row.decode(String?.self, column: "close_reason"),
            version: try row.decode(Int64.self, column: "version"),
            updatedBy: try row.decode(String?.self, column: "updated_by"),
            updatedAt: try row.decode(Date?.self, column: "updated_at")
        )
        return EscalationSummary(
            alertID: id,
            shard: try row.decode(Int.self, column: "shard"),
            severity: try row.decode(String.self, column: "severity"),
            kind: try row.decode(String.self, column: "kind"),
            source: try row.decode(String.self, column: "source"),
            principal: try row.decode(String?.self, column: "principal"),
            resource: try row.decode(String?.self, column: "resource"),
            occurredAt: try row.decode(Date.self, column: "occurred_at"),
            escalatedAt: try row.decode(Date.self, column: "escalated_at"),
            decidedBy: try row.decode(String.self, column: "decided_by"),
            confidence: try row.decode(Double?.self, column: "confidence"),
            guardrails: try row.decode([String].self, column: "guardrails"),
            recommendedAction: try row.decode(String?.self, column: "recommended_action"),
            review: review,
            cursor: EscalationCursor(createdMicros: try row.decode(Int64.self, column: "escalated_us"), alertID: id)
        )
    }

    /// A json/jsonb column as text, parsed leniently (duplicate keys keep the last): stored data is shown, never rejected.
    static func json(_ row: PostgresRow, _ column: String) throws -> JSONValue {
        let text = try row.decode(String.self, column: column)
        return (try? JSONParser(duplicateKeys: .lastWins).parse(text)) ?? .string(text)
    }
}
