import Foundation
import HummingbirdTesting
import NIOCore
import Testing
import VigilCoordinator
import VigilCore
import VigilPostgres

extension CoordinatorHarness {
    static let escalate = """
        INSERT INTO verdict (shard, alert_id, decision, confidence, rationale, decided_by, guardrails, evidence, recommended_action,
                             triage, worker, lease_epoch, attempt, enqueued_at)
        SELECT shard, id, 'ESCALATE', 0.8, $2, 'llm', '{privileged_principal}', $3::jsonb, $4, $5::jsonb, 'w1', 1, 1, now()
        FROM alert WHERE id = $1
        """

    /// Ingests one alert through the API and gives it an ESCALATE verdict carrying rule hits, an AI audit
    /// with tool calls and cost, and evidence (as the worker would); returns the alert id.
    func seedEscalation(
        _ client: some TestClientProtocol,
        externalID: String,
        principal: String = "arn:aws:iam::123456789012:user/alice",
        payload: String = #"{"eventName":"CreateRole"}"#,
        rationale: String = "A privileged principal created an IAM role."
    ) async throws -> UUID {
        let response = try await client.execute(
            uri: "/v1/alerts",
            method: .post,
            headers: headers(token: ingestToken),
            body: ByteBuffer(
                string: alertLine(externalID, principal: String(JSONValue.string(principal).jsonText.dropFirst().dropLast()), payload: payload)
            )
        )
        let result = try json(response)
        let id = try #require(result["results"]?.arrayValue?.first?["id"]?.stringValue.flatMap(UUID.init(uuidString:)))
        let triage = """
            {"path":"llm","rule_hits":[{"rule_id":"iam-persistence","title":"IAM persistence","level":"high","author":"Vigil SOC <soc@example.com>"}],
             "ai":{"model":"sim-1",
                   "tool_calls":[{"name":"get_cloudtrail_events","arguments":"{\\"principal_arn\\":\\"x\\"}","evidence_ids":["ct:1"]}],
                   "cost_usd":0.0042,"status":"verdict"}}
            """
        let evidence = #"[{"id":"ct:1","source":"get_cloudtrail_events","summary":"CreateRole by alice from 203.0.113.9"}]"#
        try await pool.query(Self.escalate, [id, rationale, evidence, "Disable alice's access key AKIA…", triage])
        return id
    }
}
