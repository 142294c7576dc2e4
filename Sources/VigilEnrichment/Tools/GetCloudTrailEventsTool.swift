import Foundation
import VigilCore
import VigilPostgres

/// `get_cloudtrail_events(principal_arn?, resource_arn?, hours_back = 24)`: the events of a principal or on a
/// resource in the window, as counts by event name and source address plus the most recent events.
struct GetCloudTrailEventsTool: InvestigationTool {
    static let definition = ToolDefinition(
        name: "get_cloudtrail_events",
        description: "CloudTrail events for a principal or a resource in the last hours_back hours (give at least one ARN): "
            + "counts by event name and source address, and the most recent events as evidence.",
        properties: [
            ("principal_arn", ToolDefinition.property("string", "ARN of the acting principal (userIdentity.arn).")),
            ("resource_arn", ToolDefinition.property("string", "ARN of a resource the events touched.")),
            ("hours_back", ToolDefinition.property("integer", "How many hours back from now to look (1–2160).", default: 24)),
        ],
        required: []
    )

    func run(_ arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let principal = try arguments.arn("principal_arn")
        let resource = try arguments.arn("resource_arn")
        let hours = try arguments.integer("hours_back", default: 24, range: 1...2160)
        guard principal != nil || resource != nil else {
            throw ToolError(.invalidArgument, "give principal_arn or resource_arn (or both)", argument: "principal_arn")
        }
        let until = context.now()
        let since = until.addingTimeInterval(-Double(hours) * 3600)
        var conditions = ["event_time > $1", "event_time <= $2"]
        var parameters: [any PostgresEncodable] = [since, until]
        if let principal {
            parameters.append(principal)
            conditions.append("principal_arn = $\(parameters.count)")
        }
        if let resource {
            parameters.append(resource)
            conditions.append("resources @> ARRAY[$\(parameters.count)::text]")
        }
        let filter = conditions.joined(separator: " AND ")
        // A principal alone: counts from its hourly summary plus the raw events of the window's partial hours.
        let summarised = principal != nil && resource == nil
        let (names, addresses, recent) = try await context.pool.withConnection { connection in
            let names: [PostgresRow]
            let addresses: [PostgresRow]
            if summarised {
                // One read of the summary and the partial hours for both lists.
                let rows = try await connection.query(
                    """
                    WITH parts AS MATERIALIZED (\(PrincipalActivity.windowParts)),
                    names AS (SELECT event_name, sum(events)::bigint AS n, sum(errors)::bigint AS errors FROM parts GROUP BY 1),
                    addresses AS (
                        SELECT source_address AS address, sum(events)::bigint AS n FROM parts GROUP BY 1 ORDER BY n DESC, 1 LIMIT \(context.topLimit + 1)
                    )
                    SELECT 0 AS kind, row_number() OVER (ORDER BY n DESC, event_name) AS ord, event_name, NULL AS address, n, errors FROM names
                    UNION ALL
                    SELECT 1, row_number() OVER (ORDER BY n DESC, address), NULL, address, n, 0 FROM addresses
                    ORDER BY kind, ord
                    """,
                    PrincipalActivity.windowParameters(principal: principal!, since: since, until: until)
                )
                names = rows.filter { (try? $0.decode(Int.self, column: "kind")) == 0 }
                addresses = rows.filter { (try? $0.decode(Int.self, column: "kind")) == 1 }
            } else {
                names = Array(try await connection.query(
                    """
                    SELECT event_name, count(*) AS n, count(*) FILTER (WHERE error_code IS NOT NULL) AS errors
                    FROM cloudtrail_event WHERE \(filter) GROUP BY event_name ORDER BY n DESC, event_name
                    """,
                    parameters
                ))
                addresses = Array(try await connection.query(
                    """
                    SELECT coalesce(source_address, '') AS address, count(*) AS n FROM cloudtrail_event WHERE \(filter)
                    GROUP BY 1 ORDER BY n DESC, 1 LIMIT \(context.topLimit + 1)
                    """,
                    parameters
                ))
            }
            let recent = try await connection.query(
                """
                SELECT \(CloudTrailEvidence.columns) FROM cloudtrail_event WHERE \(filter)
                ORDER BY event_time DESC, event_id LIMIT \(context.evidenceLimit)
                """,
                parameters
            )
            return (names, addresses, recent)
        }
        var total = 0
        var errors = 0
        var byName: [JSONValue] = []
        for row in names {
            let count = try row.decode(Int.self, column: "n")
            total += count
            errors += try row.decode(Int.self, column: "errors")
            if byName.count < context.topLimit {
                byName.append(["event_name": .string(try row.decode(String.self, column: "event_name")), "count": .count(count)])
            }
        }
        var byAddress: [JSONValue] = []
        for row in addresses.prefix(context.topLimit) {
            byAddress.append([
                "source_address": .string(try row.decode(String.self, column: "address")),
                "count": .count(try row.decode(Int.self, column: "n")),
            ])
        }
        let evidence = try recent.map(CloudTrailEvidence.record)
        return [
            "principal_arn": .text(principal),
            "resource_arn": .text(resource),
            "window": ["from": .time(since), "to": .time(until), "hours_back": .count(hours)],
            "summary": [
                "total_events": .count(total),
                "failed_calls": .count(errors),
                "event_names": .array(byName),
                "event_names_omitted": .count(max(0, names.count - byName.count)),
                "source_addresses": .array(byAddress),
                "source_addresses_omitted": .bool(addresses.count > context.topLimit),
            ],
            "evidence": .array(evidence),
            "evidence_omitted": .count(max(0, total - evidence.count)),
        ]
    }
}

/// CloudTrail rows as evidence records (`ct:<eventID>`).
enum CloudTrailEvidence {
    static let columns = """
        event_id, event_time, event_source, event_name, principal_arn, account_id, region, source_address, user_agent, error_code, resources
        """

    static func record(_ row: PostgresRow) throws -> JSONValue {
        let id = try row.decode(String.self, column: "event_id")
        let resources = try row.decode([String].self, column: "resources")
        return [
            "evidence_id": .string("ct:" + id),
            "event_time": .time(try row.decode(Date.self, column: "event_time")),
            "event_source": .string(try row.decode(String.self, column: "event_source")),
            "event_name": .string(try row.decode(String.self, column: "event_name")),
            "principal_arn": .text(try row.decode(String?.self, column: "principal_arn")),
            "account_id": .text(try row.decode(String?.self, column: "account_id")),
            "region": .text(try row.decode(String?.self, column: "region")),
            "source_address": .text(try row.decode(String?.self, column: "source_address")),
            "user_agent": .text(try row.decode(String?.self, column: "user_agent").map { String($0.prefix(200)) }),
            "error_code": .text(try row.decode(String?.self, column: "error_code")),
            "resources": .array(resources.prefix(5).map { .string($0) }),
        ]
    }
}
