import Foundation
import VigilCore
import VigilPostgres

/// `check_guardduty_findings(account_id?, resource_id?, severity_min = 4.0)`: findings updated within the baseline
/// window, most severe first.
struct CheckGuardDutyFindingsTool: InvestigationTool {
    static let definition = ToolDefinition(
        name: "check_guardduty_findings",
        description: "Recent GuardDuty findings for an account or a resource (instance id, access key id, user name, bucket, ARN), "
            + "at or above a severity (0–10), most severe first.",
        properties: [
            ("account_id", ToolDefinition.property("string", "12-digit AWS account id.")),
            ("resource_id", ToolDefinition.property("string", "Identifier or ARN of the affected resource.")),
            ("severity_min", ToolDefinition.property("number", "Lowest severity to include (0–10).", default: 4.0)),
        ],
        required: []
    )

    func run(_ arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let account = try arguments.accountID("account_id")
        let resource = try arguments.string("resource_id")
        let severityMin = try arguments.number("severity_min", default: 4.0, range: 0...10)
        let until = context.now()
        let since = until.addingTimeInterval(-Double(context.baselineDays) * 86_400)
        var parameters: [any PostgresEncodable] = [severityMin, since, until]
        var conditions = ["severity >= $1", "updated_at > $2", "created_at <= $3"]
        if let account {
            parameters.append(account)
            conditions.append("account_id = $\(parameters.count)")
        }
        if let resource {
            parameters.append(resource)
            conditions.append("resource_ids @> ARRAY[$\(parameters.count)::text]")
        }
        let filter = conditions.joined(separator: " AND ")
        let (types, findings) = try await context.pool.withConnection { connection in
            let types = try await connection.query(
                """
                SELECT finding_type, count(*) AS n, max(severity) AS max_severity FROM guardduty_finding WHERE \(filter)
                GROUP BY 1 ORDER BY max_severity DESC, n DESC, 1
                """,
                parameters
            )
            let findings = try await connection.query(
                """
                SELECT finding_id, account_id, region, finding_type, severity, title, resource_type, resource_ids, created_at, updated_at
                FROM guardduty_finding WHERE \(filter) ORDER BY severity DESC, updated_at DESC, finding_id LIMIT \(context.evidenceLimit)
                """,
                parameters
            )
            return (types, findings)
        }
        var total = 0
        var byType: [JSONValue] = []
        for row in types {
            let count = try row.decode(Int.self, column: "n")
            total += count
            guard byType.count < context.topLimit else { continue }
            byType.append([
                "finding_type": .string(try row.decode(String.self, column: "finding_type")),
                "count": .count(count),
                "max_severity": .double(try row.decode(Double.self, column: "max_severity")),
            ])
        }
        let evidence: [JSONValue] = try findings.map { row in
            let id = try row.decode(String.self, column: "finding_id")
            return [
                "evidence_id": .string("gd:" + id),
                "finding_type": .string(try row.decode(String.self, column: "finding_type")),
                "severity": .double(try row.decode(Double.self, column: "severity")),
                "title": .text(try row.decode(String?.self, column: "title")),
                "account_id": .text(try row.decode(String?.self, column: "account_id")),
                "region": .text(try row.decode(String?.self, column: "region")),
                "resource_type": .text(try row.decode(String?.self, column: "resource_type")),
                "resource_ids": .array(try row.decode([String].self, column: "resource_ids").prefix(5).map { .string($0) }),
                "created_at": .time(try row.decode(Date.self, column: "created_at")),
                "updated_at": .time(try row.decode(Date.self, column: "updated_at")),
            ]
        }
        return [
            "account_id": .text(account),
            "resource_id": .text(resource),
            "severity_min": .double(severityMin),
            "window": ["from": .time(since), "to": .time(until)],
            "summary": [
                "total_findings": .count(total),
                "max_severity": findings.isEmpty ? .null : .double(try findings[0].decode(Double.self, column: "severity")),
                "finding_types": .array(byType),
                "finding_types_omitted": .count(max(0, types.count - byType.count)),
            ],
            "evidence": .array(evidence),
            "evidence_omitted": .count(max(0, total - evidence.count)),
        ]
    }
}
