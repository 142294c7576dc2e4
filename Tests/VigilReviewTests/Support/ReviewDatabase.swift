import Foundation
import VigilCore
import VigilPostgres
import VigilSchema
import VigilTestSupport

/// A migrated schema of its own on the test server (`DATABASE_URL`, started by `scripts/test.sh`), with
/// helpers to seed escalations.
struct ReviewDatabase {
    let schema: String
    let url: String
    let pool: PostgresPool

    private static func make() async throws -> ReviewDatabase {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw SetupError("DATABASE_URL is not set: run the tests with scripts/test.sh, which starts PostgreSQL")
        }
        let schema = "r_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        let admin = try await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
        try await admin.executeScript("CREATE SCHEMA \(schema)")
        await admin.close()
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: 6, searchPath: String(schema)))
        try await VigilSchema.migrator().migrate(pool)
        return ReviewDatabase(schema: String(schema), url: url, pool: pool)
    }

    /// Runs `body` with a fresh migrated schema, then drops it, after a return and after a throw alike (then rethrows).
    static func with<T>(_ body: (ReviewDatabase) async throws -> T) async throws -> T {
        try await withCleanup(make(), cleanup: { await $0.drop() }, body)
    }

    private func drop() async {
        await pool.close()
        guard let admin = try? await PostgresConnection.connect(PostgresConfiguration(connectionString: url)) else { return }
        try? await admin.executeScript("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        await admin.close()
    }

    static let insertAlert = """
        INSERT INTO alert (shard, id, source, external_id, kind, severity, occurred_at, principal, resource, payload)
        VALUES ($1, $2, 'siem', $3, 'cloudtrail', $4, now() - interval '1 hour', $5, 'arn:aws:s3:::prod-db-backups', $6::jsonb)
        """
    static let insertVerdict = """
        INSERT INTO verdict (shard, alert_id, decision, confidence, rationale, decided_by, guardrails, evidence,
                             recommended_action, triage, worker, lease_epoch, attempt, enqueued_at, created_at)
        VALUES ($1, $2, $3, 0.9, 'privileged principal created a role', 'rules', '{privileged_principal}',
                '[{"id":"rule:0:iam-persistence","source":"rules","summary":"IAM persistence"}]', $4,
                '{"path":"rules","rule_hits":[{"rule_id":"iam-persistence","title":"IAM persistence","level":"high","author":"Vigil SOC"}],
                  "ai":{"tool_calls":[{"name":"lookup_ip_reputation","evidence_ids":["ip:1"]}],"cost_usd":0.0123}}',
                'w1', 1, 1, now(), now() - $5::bigint * interval '1 second')
        """

    /// Seeds an alert with a verdict (ESCALATE unless told otherwise) made `ageSeconds` ago; returns the alert id.
    @discardableResult
    func seed(
        severity: String = "high",
        principal: String = "arn:aws:iam::123456789012:user/alice",
        decision: String = "ESCALATE",
        ageSeconds: Int64 = 60,
        recommendedAction: String? = "Disable the access key",
        payload: String = #"{"eventName":"CreateRole"}"#,
        shard: Int = 0
    ) async throws -> UUID {
        let id = UUID()
        try await pool.query(Self.insertAlert, [shard, id, id.uuidString, severity, principal, payload])
        try await pool.query(Self.insertVerdict, [shard, id, decision, recommendedAction, ageSeconds])
        return id
    }
}

struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
