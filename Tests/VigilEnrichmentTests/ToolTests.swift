import Foundation
import Testing
import VigilCore
import VigilEnrichment
import VigilPostgres

/// The five tools on the shared CloudTrail data plus small fixtures for flows, findings and intel.
@Suite struct ToolTests {
    static let christophe = "arn:aws:iam::229654561268:user/christophe"
    static let bertJan = "arn:aws:iam::123837392027:user/bert-jan"

    /// Runs `body` with a migrated schema with the Stratus and Invictus sets loaded, and tools whose "now" is `now`;
    /// the schema is dropped after a return and after a throw alike.
    static func withTools(now: String, _ body: (EnrichmentDatabase, ToolRegistry) async throws -> Void) async throws {
        try await EnrichmentDatabase.with { database in
            _ = try await EnrichmentLoader(pool: database.pool).load(.cloudtrail, paths: try SharedData.cloudTrailFiles())
            let instant = RFC3339.parse(now)!
            try await body(database, ToolRegistry(context: ToolContext(pool: database.pool, now: { instant })))
        }
    }

    @Test func definitionsMatchTheDesign() throws {
        let definitions = ToolRegistry.definitions
        #expect(definitions.map(\.name) == [
            "get_cloudtrail_events", "get_iam_principal_history", "check_guardduty_findings", "get_vpc_flow_logs", "lookup_ip_reputation",
        ])
        func shape(_ name: String) -> (properties: [String: (String, JSONValue?)], required: [String]) {
            let schema = definitions.first { $0.name == name }!.inputSchema
            #expect(schema["type"]?.stringValue == "object")
            var properties: [String: (String, JSONValue?)] = [:]
            for member in schema["properties"]!.objectValue! {
                properties[member.key] = (member.value["type"]!.stringValue!, member.value["default"])
            }
            return (properties, schema["required"]!.arrayValue!.map { $0.stringValue! })
        }
        let cloudTrail = shape("get_cloudtrail_events")
        #expect(cloudTrail.properties.keys.sorted() == ["hours_back", "principal_arn", "resource_arn"])
        #expect(cloudTrail.properties["hours_back"]! == ("integer", .int(24)))
        #expect(cloudTrail.properties["principal_arn"]! == ("string", nil))
        #expect(cloudTrail.required.isEmpty)
        let history = shape("get_iam_principal_history")
        #expect(history.properties.keys.sorted() == ["principal_arn"])
        #expect(history.required == ["principal_arn"])
        let guardDuty = shape("check_guardduty_findings")
        #expect(guardDuty.properties.keys.sorted() == ["account_id", "resource_id", "severity_min"])
        #expect(guardDuty.properties["severity_min"]! == ("number", .double(4.0)))
        #expect(guardDuty.required.isEmpty)
        let flows = shape("get_vpc_flow_logs")
        #expect(flows.properties.keys.sorted() == ["destination_ip", "hours_back", "source_ip"])
        #expect(flows.properties["hours_back"]! == ("integer", .int(1)))
        let reputation = shape("lookup_ip_reputation")
        #expect(reputation.properties.keys.sorted() == ["ip_address"])
        #expect(reputation.required == ["ip_address"])
    }

    @Test func cloudTrailEventsOfAKnownPrincipal() async throws {
        try await Self.withTools(now: "2024-08-01T14:00:00Z") { database, tools in
            let result = await tools.call(name: "get_cloudtrail_events", arguments: ["principal_arn": .string(Self.christophe), "hours_back": 24])
            #expect(!result.isError)
            let summary = result.content["summary"]!
            #expect(summary["total_events"] == 3)
            #expect(Set(summary["event_names"]!.arrayValue!.map { $0["event_name"]!.stringValue! }) == ["AttachUserPolicy", "CreateAccessKey", "CreateUser"])
            #expect(summary["source_addresses"]!.arrayValue!.map { $0["source_address"]!.stringValue! } == ["075.050.255.67"])
            #expect(result.evidenceIDs.count == 3)
            #expect(result.evidenceIDs.contains("ct:083dc4ad-e264-46bc-a407-d0dd31b58bdc"))
            #expect(result.content["evidence_omitted"] == 0)

            // An hour before the events, the window is empty.
            let earlier = ToolRegistry(context: ToolContext(pool: database.pool, now: { RFC3339.parse("2024-08-01T13:00:00Z")! }))
            let empty = await earlier.call(name: "get_cloudtrail_events", arguments: ["principal_arn": .string(Self.christophe)])
            #expect(empty.content["summary"]?["total_events"] == 0)
        }
    }

    @Test func cloudTrailEventsAreBoundedAndByResource() async throws {
        try await Self.withTools(now: "2023-07-10T13:00:00Z") { database, tools in
            let oracle = try SharedData.records(try SharedData.cloudTrailFiles()).filter {
                ($0["userIdentity"] as? [String: Any])?["arn"] as? String == Self.bertJan
            }
            let result = await tools.call(name: "get_cloudtrail_events", arguments: ["principal_arn": .string(Self.bertJan), "hours_back": 24])
            #expect(result.content["summary"]?["total_events"] == .int(Int64(oracle.count)))
            #expect(result.evidenceIDs.count == 20)
            #expect(result.content["evidence_omitted"] == .int(Int64(oracle.count - 20)))
            #expect(result.content["summary"]!["event_names"]!.arrayValue!.count == 10)

            let key = "arn:aws:kms:us-east-1:123837392027:key/0e5d0ab6-097e-49d8-99ef-747ce3e5f8f4"
            let byResource = await tools.call(name: "get_cloudtrail_events", arguments: ["resource_arn": .string(key), "hours_back": 48])
            let expected = try SharedData.records(try SharedData.cloudTrailFiles()).filter { record in
                ((record["resources"] as? [[String: Any]]) ?? []).contains { $0["ARN"] as? String == key }
            }.count
            #expect(expected > 0)
            #expect(byResource.content["summary"]?["total_events"] == .int(Int64(expected)))
        }
    }

    @Test func principalHistoryOfAKnownPrincipal() async throws {
        try await Self.withTools(now: "2024-08-02T00:00:00Z") { database, tools in
            let result = await tools.call(name: "get_iam_principal_history", arguments: ["principal_arn": .string(Self.christophe)])
            #expect(!result.isError)
            #expect(result.content["first_seen"] == "2024-08-01T13:33:28.000Z")
            #expect(result.content["last_seen"] == "2024-08-01T13:33:28.000Z")
            #expect(result.content["principal_type"] == "IAMUser")
            #expect(result.content["baseline"]?["events"] == 3)
            #expect(result.content["summary"]?["permission_changes"] == 3)
            #expect(result.evidenceIDs.count == 3)
            let addresses = result.content["summary"]!["source_addresses"]!.arrayValue!
            #expect(addresses.map { $0["source_address"]!.stringValue! } == ["075.050.255.67"])
            #expect(addresses[0]["count"] == 3)
            let agents = result.content["summary"]!["user_agents"]!.arrayValue!
            #expect(agents.count == 1)
            #expect(agents[0]["user_agent"]!.stringValue!.hasPrefix("stratus-red-team_"))
        }
    }

    @Test func principalHistoryReadsTheAssetsFile() async throws {
        try await Self.withTools(now: "2024-08-02T00:00:00Z") { database, tools in
            let scratch = try ScratchDirectory()
            defer { scratch.remove() }
            let assets = try scratch.write("assets.yaml", """
                privileged_principals: ["arn:aws:iam::*:user/christophe"]
                automation_principals: ["arn:aws:iam::*:role/ci-*"]
                """)
            let loaded = try await EnrichmentLoader(pool: database.pool).load(.assets, paths: [assets])
            #expect(loaded.loaded == 2)
            let result = await tools.call(name: "get_iam_principal_history", arguments: ["principal_arn": .string(Self.christophe)])
            #expect(result.content["asset_kinds"] == ["privileged_principal"])
        }
    }

    @Test(arguments: [
        ("get_cloudtrail_events", ["principal_arn": "not-an-arn"] as JSONValue, "principal_arn"),
        ("get_cloudtrail_events", ["principal_arn": "arn:aws:iam::229654561268:user/x", "hours_back": -5] as JSONValue, "hours_back"),
        ("get_cloudtrail_events", ["hours_back": 5] as JSONValue, "principal_arn"),
        ("get_cloudtrail_events", ["principal_arn": 42] as JSONValue, "principal_arn"),
        ("get_iam_principal_history", [:] as JSONValue, "principal_arn"),
        ("check_guardduty_findings", ["account_id": "12345"] as JSONValue, "account_id"),
        ("check_guardduty_findings", ["severity_min": 11] as JSONValue, "severity_min"),
        ("get_vpc_flow_logs", ["source_ip": "10.0.0.300"] as JSONValue, "source_ip"),
        ("get_vpc_flow_logs", ["hours_back": 2] as JSONValue, "source_ip"),
        ("get_vpc_flow_logs", ["source_ip": "10.0.0.1", "hours_back": 1.5] as JSONValue, "hours_back"),
        ("lookup_ip_reputation", ["ip_address": "fe80::1%eth0"] as JSONValue, "ip_address"),
        ("lookup_ip_reputation", [:] as JSONValue, "ip_address"),
    ])
    func invalidInputIsAToolErrorNamingTheArgument(tool: String, arguments: JSONValue, argument: String) async throws {
        // No query runs for invalid input: a pool to a closed schema would fail if one did.
        let tools = ToolRegistry(context: ToolContext(pool: PostgresPool(configuration: try EnrichmentDatabase.baseConfiguration)))
        let result = await tools.call(name: tool, arguments: arguments)
        #expect(result.isError)
        #expect(result.content["error"]?["code"] == "invalid_argument")
        #expect(result.content["error"]?["argument"] == .string(argument))
        #expect(result.content["error"]?["message"]?.stringValue?.isEmpty == false)
    }

    @Test func unknownToolAndNonObjectArguments() async throws {
        let tools = ToolRegistry(context: ToolContext(pool: PostgresPool(configuration: try EnrichmentDatabase.baseConfiguration)))
        #expect(await tools.call(name: "drop_tables", arguments: [:]).content["error"]?["code"] == "unknown_tool")
        #expect(await tools.call(name: "lookup_ip_reputation", arguments: ["10.0.0.1"]).content["error"]?["code"] == "invalid_argument")
    }
}
