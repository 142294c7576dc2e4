import Foundation
import VigilCore
import VigilPostgres

/// The IAM persistence report: calls that create or widen access (DESIGN.md), grouped by principal and event name,
/// each marked when the principal made no such call in its baseline before the window.
public struct IAMActivityReport: Sendable {
    /// The IAM persistence calls (event source `iam.amazonaws.com`).
    public static let persistenceCalls = [
        "CreateRole", "AttachRolePolicy", "CreateUser", "CreateAccessKey", "UpdateAssumeRolePolicy", "PutRolePolicy", "AddUserToGroup",
    ]

    /// One principal's calls of one event name in the window.
    public struct Row: Sendable, Hashable {
        public var principalARN: String
        public var accountID: String?
        public var eventName: String
        public var count: Int
        public var firstSeen: Date
        public var lastSeen: Date
        /// The address of the latest call.
        public var sourceAddress: String?
        /// The latest call's event id.
        public var latestEventID: String
        /// True when the principal made no call of this name in the baseline before the window.
        public var outsideBaseline: Bool
    }

    public var pool: PostgresPool
    public var baselineDays: Int

    public init(pool: PostgresPool, baselineDays: Int = 30) {
        self.pool = pool
        self.baselineDays = baselineDays
    }

    /// The rows for the window `(until − hours, until]`, most calls first.
    public func rows(hours: Int, until: Date) async throws -> [Row] {
        let since = until.addingTimeInterval(-Double(hours) * 3600)
        let baselineStart = since.addingTimeInterval(-Double(baselineDays) * 86_400)
        let result = try await pool.query(
            """
            SELECT coalesce(e.principal_arn, '') AS principal, e.event_name, count(*) AS n, min(e.event_time) AS first_seen,
                   max(e.event_time) AS last_seen,
                   (array_agg(e.source_address ORDER BY e.event_time DESC))[1] AS source_address,
                   (array_agg(e.event_id ORDER BY e.event_time DESC))[1] AS latest_event_id,
                   (array_agg(e.account_id ORDER BY e.event_time DESC))[1] AS account_id,
                   NOT EXISTS (
                       SELECT 1 FROM cloudtrail_event b
                       WHERE b.principal_arn = e.principal_arn AND b.event_name = e.event_name
                         AND b.event_source = 'iam.amazonaws.com' AND b.event_time > $3 AND b.event_time <= $1
                   ) AS outside_baseline
            FROM cloudtrail_event e
            WHERE e.event_source = 'iam.amazonaws.com' AND e.event_name = ANY($4::text[]) AND e.event_time > $1 AND e.event_time <= $2
            GROUP BY e.principal_arn, e.event_name
            ORDER BY n DESC, principal, e.event_name
            """,
            [since, until, baselineStart, PostgresArrayLiteral.text(Self.persistenceCalls)]
        )
        return try result.map { row in
            Row(
                principalARN: try row.decode(String.self, column: "principal"),
                accountID: try row.decode(String?.self, column: "account_id"),
                eventName: try row.decode(String.self, column: "event_name"),
                count: try row.decode(Int.self, column: "n"),
                firstSeen: try row.decode(Date.self, column: "first_seen"),
                lastSeen: try row.decode(Date.self, column: "last_seen"),
                sourceAddress: try row.decode(String?.self, column: "source_address"),
                latestEventID: try row.decode(String.self, column: "latest_event_id"),
                outsideBaseline: try row.decode(Bool.self, column: "outside_baseline")
            )
        }
    }

    /// A row as an ingest alert (the coordinator's `/v1/alerts` format); its external id is stable per principal,
    /// event name and latest call, so emitting twice creates no duplicate.
    public static func alert(_ row: Row) -> JSONValue {
        [
            "source": "vigil-report",
            "external_id": .string("iam-activity:\(row.principalARN):\(row.eventName):\(row.latestEventID)"),
            "kind": "iam-persistence",
            "severity": .string(row.outsideBaseline ? "high" : "medium"),
            "occurred_at": .time(row.lastSeen),
            "principal": .string(row.principalARN),
            "account": .text(row.accountID),
            "source_ip": .text(row.sourceAddress.flatMap(RecordField.canonicalIP)),
            "payload": [
                "report": "iam-activity",
                "eventSource": "iam.amazonaws.com",
                "eventName": .string(row.eventName),
                "count": .count(row.count),
                "first_seen": .time(row.firstSeen),
                "last_seen": .time(row.lastSeen),
                "source_address": .text(row.sourceAddress),
                "outside_baseline": .bool(row.outsideBaseline),
                "evidence_ids": [.string("ct:\(row.latestEventID)")],
            ],
        ]
    }
}
