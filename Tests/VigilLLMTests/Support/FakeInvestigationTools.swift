import Foundation
import Synchronization
import VigilCore
import VigilLLM

/// Canned enrichment tools with DESIGN.md's names and schemas: threatening or routine answers, each with evidence
/// ids, and a record of every call.
final class FakeInvestigationTools: InvestigationTools {
    enum Scenario: Sendable {
        /// A persistence call and a malicious address.
        case threatening
        /// Routine, known activity.
        case routine
    }

    let scenario: Scenario
    /// Extra text put into every CloudTrail answer (for redaction and injection tests).
    let cloudTrailExtra: JSONValue?
    let calls = Mutex<[(name: String, arguments: JSONValue)]>([])

    init(_ scenario: Scenario = .threatening, cloudTrailExtra: JSONValue? = nil) {
        self.scenario = scenario
        self.cloudTrailExtra = cloudTrailExtra
    }

    var recorded: [(name: String, arguments: JSONValue)] { calls.withLock { $0 } }

    static func schema(_ properties: [(String, String, JSONValue?)], required: [String]) -> JSONValue {
        var members = JSONObject()
        for (name, type, value) in properties {
            var property: JSONObject = ["type": .string(type)]
            if let value { property["default"] = value }
            members[name] = .object(property)
        }
        return ["type": "object", "properties": .object(members), "required": .array(required.map { .string($0) })]
    }

    let toolDefinitions: [LLMToolDefinition] = [
        LLMToolDefinition(
            name: "get_cloudtrail_events",
            description: "CloudTrail events for a principal or a resource.",
            inputSchema: schema([("principal_arn", "string", nil), ("resource_arn", "string", nil), ("hours_back", "integer", 24)], required: [])
        ),
        LLMToolDefinition(
            name: "get_iam_principal_history",
            description: "Access history, last activity and permission summary of a principal.",
            inputSchema: schema([("principal_arn", "string", nil)], required: ["principal_arn"])
        ),
        LLMToolDefinition(
            name: "check_guardduty_findings",
            description: "Recent GuardDuty findings for an account or resource.",
            inputSchema: schema([("account_id", "string", nil), ("resource_id", "string", nil), ("severity_min", "number", 4.0)], required: [])
        ),
        LLMToolDefinition(
            name: "get_vpc_flow_logs",
            description: "Traffic involving an address.",
            inputSchema: schema([("source_ip", "string", nil), ("destination_ip", "string", nil), ("hours_back", "integer", 1)], required: [])
        ),
        LLMToolDefinition(
            name: "lookup_ip_reputation",
            description: "Threat intelligence for an address.",
            inputSchema: schema([("ip_address", "string", nil)], required: ["ip_address"])
        ),
    ]

    func call(name: String, arguments: JSONValue) async -> InvestigationToolResult {
        calls.withLock { $0.append((name, arguments)) }
        let content: JSONValue
        switch (scenario, name) {
        case (.threatening, "get_cloudtrail_events"):
            var events: [JSONValue] = [
                ["evidence_id": "ct-001", "eventName": "ListBuckets"],
                ["evidence_id": "ct-002", "eventName": "CreateAccessKey", "eventSource": "iam.amazonaws.com"],
            ]
            if let cloudTrailExtra { events.append(["evidence_id": "ct-003", "userAgent": cloudTrailExtra]) }
            content = ["events": .array(events)]
        case (.threatening, "get_iam_principal_history"):
            content = ["evidence_id": "iam-001", "last_activity": "2026-11-26T10:00:00Z", "privileged": false]
        case (.threatening, "lookup_ip_reputation"):
            content = ["evidence_id": "ip-001", "ip": "203.0.113.7", "reputation": "malicious", "categories": ["tor exit"]]
        case (.threatening, "check_guardduty_findings"):
            content = ["findings": []]
        case (.routine, "get_cloudtrail_events"):
            var events: [JSONValue] = [["evidence_id": "ct-101", "eventName": "DescribeInstances", "assessment": "routine"]]
            if let cloudTrailExtra { events.append(["evidence_id": "ct-102", "userAgent": cloudTrailExtra]) }
            content = ["events": .array(events)]
        case (.routine, "get_iam_principal_history"):
            content = ["evidence_id": "iam-101", "summary": "routine", "role": "known-ci-deployer", "privileged": false]
        case (.routine, "lookup_ip_reputation"):
            content = ["evidence_id": "ip-101", "reputation": "clean", "malicious": false]
        case (.routine, "check_guardduty_findings"):
            content = ["evidence_id": "gd-101", "findings": []]
        case (_, "get_vpc_flow_logs"):
            content = ["evidence_id": "vpc-001", "flows": []]
        default:
            return .failure("unknown tool")
        }
        return InvestigationToolResult(content: content)
    }
}

/// The sample alert of these tests: a new access key for a user from an address with a bad reputation.
func sampleAlert(_ id: String = "a-1", payload: JSONValue = [:]) -> Alert {
    var record: JSONObject = [
        "eventName": "CreateAccessKey", "eventSource": "iam.amazonaws.com", "sourceIPAddress": "203.0.113.7",
        "recipientAccountId": "123456789012",
    ]
    if case .object(let extra) = payload { for member in extra { record[member.key] = member.value } }
    return Alert(
        source: "cloudtrail",
        externalID: id,
        kind: "cloudtrail",
        severity: .high,
        occurredAt: Date(timeIntervalSince1970: 1_790_000_000),
        principal: "arn:aws:iam::123456789012:user/alice",
        account: "123456789012",
        sourceIP: "203.0.113.7",
        payload: .object(record)
    )
}
