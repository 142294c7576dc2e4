import Foundation
import VigilCore
import VigilPostgres

/// The auth-log pre-filter: cheap aggregates first (failures per user in the window), and only suspects — users over
/// the failure threshold, or failing from an address or country they never used in the baseline — become alerts.
public struct AuthFailureReport: Sendable {
    /// One user's failures in the window.
    public struct Row: Sendable, Hashable {
        public var user: String
        public var failures: Int
        public var successes: Int
        public var firstFailure: Date
        public var lastFailure: Date
        /// Distinct addresses the failures came from (up to 10).
        public var sourceAddresses: [String]
        /// Failure addresses never seen for this user in the baseline (up to 10).
        public var unusualAddresses: [String]
        /// Failure countries never seen for this user in the baseline.
        public var unusualCountries: [String]
        /// Over the threshold.
        public var overThreshold: Bool

        /// A suspect: over the threshold, or failing from somewhere new.
        public var isSuspect: Bool { overThreshold || !unusualAddresses.isEmpty || !unusualCountries.isEmpty }
    }

    public var pool: PostgresPool
    public var threshold: Int
    public var baselineDays: Int

    public init(pool: PostgresPool, threshold: Int = 10, baselineDays: Int = 30) {
        self.pool = pool
        self.threshold = threshold
        self.baselineDays = baselineDays
    }

    /// Every user with a failure in `(until − hours, until]`, most failures first.
    public func rows(hours: Int, until: Date) async throws -> [Row] {
        let since = until.addingTimeInterval(-Double(hours) * 3600)
        let baselineStart = since.addingTimeInterval(-Double(baselineDays) * 86_400)
        let result = try await pool.query(
            """
            WITH failed AS (
                SELECT user_name, source_ip, country, event_time FROM auth_event
                WHERE NOT success AND event_time > $1 AND event_time <= $2
            ),
            per_user AS (
                SELECT user_name, count(*) AS failures, min(event_time) AS first_failure, max(event_time) AS last_failure
                FROM failed GROUP BY user_name
            ),
            baseline AS (
                SELECT b.user_name, b.source_ip, b.country FROM auth_event b JOIN per_user u USING (user_name)
                WHERE b.event_time > $3 AND b.event_time <= $1
            )
            SELECT u.user_name, u.failures, u.first_failure, u.last_failure,
                   (SELECT count(*) FROM auth_event s WHERE s.user_name = u.user_name AND s.success
                      AND s.event_time > $1 AND s.event_time <= $2) AS successes,
                   coalesce((SELECT array_agg(a ORDER BY a) FROM (SELECT DISTINCT host(f.source_ip) AS a FROM failed f
                      WHERE f.user_name = u.user_name AND f.source_ip IS NOT NULL LIMIT 10) x), '{}') AS addresses,
                   coalesce((SELECT array_agg(a ORDER BY a) FROM (SELECT DISTINCT host(f.source_ip) AS a FROM failed f
                      WHERE f.user_name = u.user_name AND f.source_ip IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM baseline b WHERE b.user_name = f.user_name AND b.source_ip = f.source_ip)
                      LIMIT 10) y), '{}') AS unusual_addresses,
                   coalesce((SELECT array_agg(c ORDER BY c) FROM (SELECT DISTINCT f.country AS c FROM failed f
                      WHERE f.user_name = u.user_name AND f.country IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM baseline b WHERE b.user_name = f.user_name AND b.country = f.country)
                      LIMIT 10) z), '{}') AS unusual_countries
            FROM per_user u ORDER BY u.failures DESC, u.user_name
            """,
            [since, until, baselineStart]
        )
        return try result.map { row in
            let failures = try row.decode(Int.self, column: "failures")
            return Row(
                user: try row.decode(String.self, column: "user_name"),
                failures: failures,
                successes: try row.decode(Int.self, column: "successes"),
                firstFailure: try row.decode(Date.self, column: "first_failure"),
                lastFailure: try row.decode(Date.self, column: "last_failure"),
                sourceAddresses: try row.decode([String].self, column: "addresses"),
                unusualAddresses: try row.decode([String].self, column: "unusual_addresses"),
                unusualCountries: try row.decode([String].self, column: "unusual_countries"),
                overThreshold: failures > threshold
            )
        }
    }

    /// A suspect as an ingest alert; its external id is stable per user and window end.
    public static func alert(_ row: Row, until: Date) -> JSONValue {
        [
            "source": "vigil-report",
            "external_id": .string("auth-failures:\(row.user):\(RFC3339.format(until))"),
            "kind": "auth-failures",
            "severity": .string(row.overThreshold && !row.unusualAddresses.isEmpty ? "high" : "medium"),
            "occurred_at": .time(row.lastFailure),
            "principal": .string(row.user),
            "source_ip": .text(row.unusualAddresses.first ?? row.sourceAddresses.first),
            "payload": [
                "report": "auth-failures",
                "failures": .count(row.failures),
                "successes": .count(row.successes),
                "first_failure": .time(row.firstFailure),
                "last_failure": .time(row.lastFailure),
                "source_addresses": .array(row.sourceAddresses.map { .string($0) }),
                "unusual_addresses": .array(row.unusualAddresses.map { .string($0) }),
                "unusual_countries": .array(row.unusualCountries.map { .string($0) }),
                "over_threshold": .bool(row.overThreshold),
            ],
        ]
    }
}
