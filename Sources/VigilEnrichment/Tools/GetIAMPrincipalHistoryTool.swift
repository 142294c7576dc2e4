import Foundation
import VigilCore
import VigilPostgres

/// `get_iam_principal_history(principal_arn)`: first and last seen, the calls the principal normally makes (counts
/// over the baseline window), its permission-changing calls, and the addresses and user agents it normally uses.
struct GetIAMPrincipalHistoryTool: InvestigationTool {
    static let definition = ToolDefinition(
        name: "get_iam_principal_history",
        description: "Access history of a principal: first/last seen, its usual API calls, source addresses and user agents "
            + "over the baseline window, and its permission-changing IAM calls as evidence.",
        properties: [("principal_arn", ToolDefinition.property("string", "ARN of the principal (userIdentity.arn)."))],
        required: ["principal_arn"]
    )

    /// IAM calls that change who may do what.
    static let permissionChangePattern = "^(Create|Attach|Detach|Put|Update|Add|Remove|Delete|Set|Upload|Change|Enable|Deactivate|Tag|Untag)"

    func run(_ arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        guard let principal = try arguments.arn("principal_arn") else {
            throw ToolError.invalid("principal_arn", "is required")
        }
        let until = context.now()
        let since = until.addingTimeInterval(-Double(context.baselineDays) * 86_400)
        let window: [any PostgresEncodable] = [principal, since, until]
        let filter = "principal_arn = $1 AND event_time > $2 AND event_time <= $3"
        let top = context.topLimit
        let (seen, usage, changes) = try await context.pool.withConnection { connection in
            let seen = try await connection.query(
                """
                SELECT (SELECT min(event_time) FROM cloudtrail_event WHERE principal_arn = $1 AND event_time <= $2) AS first_seen,
                       (SELECT max(event_time) FROM cloudtrail_event WHERE principal_arn = $1 AND event_time <= $2) AS last_seen,
                       (SELECT principal_type FROM cloudtrail_event WHERE principal_arn = $1 AND event_time <= $2
                        ORDER BY event_time DESC LIMIT 1) AS principal_type
                """,
                [principal, until]
            )
            // Calls (all of them), addresses and user agents (the top ones) over the baseline, from one read of the
            // principal's hourly summary plus the raw events of the window's partial hours.
            let usage = try await connection.query(
                """
                WITH parts AS MATERIALIZED (\(PrincipalActivity.windowParts)),
                calls AS (
                    SELECT event_source, event_name, sum(events)::bigint AS n, sum(errors)::bigint AS errors, max(last_seen) AS last_seen
                    FROM parts GROUP BY 1, 2
                ),
                addresses AS (
                    SELECT source_address AS value, sum(events)::bigint AS n, min(first_seen) AS first_seen, max(last_seen) AS last_seen
                    FROM parts GROUP BY 1 ORDER BY n DESC, 1 LIMIT \(top + 1)
                ),
                agents AS (
                    SELECT user_agent AS value, sum(events)::bigint AS n, min(first_seen) AS first_seen, max(last_seen) AS last_seen
                    FROM parts GROUP BY 1 ORDER BY n DESC, 1 LIMIT \(top + 1)
                )
                SELECT 0 AS kind, row_number() OVER (ORDER BY n DESC, event_name, event_source) AS ord,
                       event_source, event_name, NULL AS value, n, errors, NULL::timestamptz AS first_seen, last_seen FROM calls
                UNION ALL
                SELECT 1, row_number() OVER (ORDER BY n DESC, value), NULL, NULL, value, n, 0, first_seen, last_seen FROM addresses
                UNION ALL
                SELECT 2, row_number() OVER (ORDER BY n DESC, value), NULL, NULL, value, n, 0, first_seen, last_seen FROM agents
                ORDER BY kind, ord
                """,
                PrincipalActivity.windowParameters(principal: principal, since: since, until: until)
            )
            let changes = try await connection.query(
                """
                SELECT \(CloudTrailEvidence.columns), count(*) OVER () AS total FROM cloudtrail_event
                WHERE \(filter) AND event_source = 'iam.amazonaws.com' AND event_name ~ '\(Self.permissionChangePattern)'
                ORDER BY event_time DESC, event_id LIMIT \(context.evidenceLimit)
                """,
                window
            )
            return (seen, usage, changes)
        }
        let calls = usage.filter { (try? $0.decode(Int.self, column: "kind")) == 0 }
        let addresses = usage.filter { (try? $0.decode(Int.self, column: "kind")) == 1 }
        let agents = usage.filter { (try? $0.decode(Int.self, column: "kind")) == 2 }
        let assets = try await AssetInventory.stored(in: context.pool).kinds(of: principal)
        var total = 0
        var callList: [JSONValue] = []
        for row in calls {
            let count = try row.decode(Int.self, column: "n")
            total += count
            guard callList.count < top else { continue }
            callList.append([
                "event_source": .string(try row.decode(String.self, column: "event_source")),
                "event_name": .string(try row.decode(String.self, column: "event_name")),
                "count": .count(count),
                "failed": .count(try row.decode(Int.self, column: "errors")),
                "last_seen": .time(try row.decode(Date.self, column: "last_seen")),
            ])
        }
        let changeTotal = try changes.first.map { try $0.decode(Int.self, column: "total") } ?? 0
        let evidence = try changes.map(CloudTrailEvidence.record)
        return [
            "principal_arn": .string(principal),
            "principal_type": .text(try seen[0].decode(String?.self, column: "principal_type")),
            "asset_kinds": .array(assets.map { .string($0) }),
            "first_seen": .time(try seen[0].decode(Date?.self, column: "first_seen")),
            "last_seen": .time(try seen[0].decode(Date?.self, column: "last_seen")),
            "baseline": ["from": .time(since), "to": .time(until), "days": .count(context.baselineDays), "events": .count(total)],
            "summary": [
                "api_calls": .array(callList),
                "api_calls_omitted": .count(max(0, calls.count - callList.count)),
                "source_addresses": .array(try Self.usage(addresses, key: "source_address", top: top)),
                "source_addresses_omitted": .bool(addresses.count > top),
                "user_agents": .array(try Self.usage(agents, key: "user_agent", top: top)),
                "user_agents_omitted": .bool(agents.count > top),
                "permission_changes": .count(changeTotal),
            ],
            "evidence": .array(evidence),
            "evidence_omitted": .count(max(0, changeTotal - evidence.count)),
        ]
    }

    static func usage(_ result: [PostgresRow], key: String, top: Int) throws -> [JSONValue] {
        try result.prefix(top).map { row in
            [
                key: .string(try row.decode(String.self, column: "value")),
                "count": .count(try row.decode(Int.self, column: "n")),
                "first_seen": .time(try row.decode(Date.self, column: "first_seen")),
                "last_seen": .time(try row.decode(Date.self, column: "last_seen")),
            ]
        }
    }
}
