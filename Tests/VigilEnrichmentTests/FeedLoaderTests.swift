import Foundation
import Testing
import VigilCore
import VigilEnrichment
import VigilPostgres

/// Intel, VPC flow, GuardDuty and auth loaders with the tools that read them.
@Suite struct FeedLoaderTests {
    static let now = RFC3339.parse("2024-08-01T14:00:00Z")!

    static func tools(_ database: EnrichmentDatabase, now: Date = now) -> ToolRegistry {
        ToolRegistry(context: ToolContext(pool: database.pool, now: { now }))
    }

    @Test func intelMatchesNetworksForIPv4AndIPv6() async throws {
        try await EnrichmentDatabase.with { database in
            let scratch = try ScratchDirectory()
            defer { scratch.remove() }
            let plain = try scratch.write("blocklist.txt", """
                # a plain list
                203.0.113.0/24   # documentation block
                198.51.100.7
                198.51.100.7/32
                2001:db8:beef::/48
                075.050.255.67
                not-an-address
                """)
            let csv = try scratch.write("scores.csv", """
                indicator,score,source,first_seen,last_seen
                203.0.113.64/26,90,honeypot,2024-07-01,2024-07-30T10:00:00Z
                2001:db8::/32,40,scanner,,
                10.0.0.0/8,abc,bad,,
                """)
            var loader = EnrichmentLoader(pool: database.pool, now: { Self.now })
            let first = try await loader.load(.intel, paths: [plain])
            #expect(first.read == 6)
            #expect(first.loaded == 4)
            #expect(first.duplicates == 1)
            #expect(first.rejected.map(\.position) == ["line 7"])
            loader.intelOptions = IntelFeedParser.Options(feed: "scored", expiresIn: nil)
            let second = try await loader.load(.intel, paths: [csv])
            #expect(second.loaded == 2)
            #expect(second.rejected.map(\.position) == ["line 4"])
            let again = try await loader.load(.intel, paths: [csv])
            #expect(again.loaded == 0)
            #expect(again.duplicates == 2)

            let tools = Self.tools(database)
            let v4 = await tools.call(name: "lookup_ip_reputation", arguments: ["ip_address": "203.0.113.77"])
            #expect(v4.evidenceIDs == ["intel:scored:203.0.113.64/26", "intel:blocklist:203.0.113.0/24"])
            #expect(v4.content["summary"]?["max_score"] == 90.0)
            let outside = await tools.call(name: "lookup_ip_reputation", arguments: ["ip_address": "203.0.114.1"])
            #expect(outside.evidenceIDs.isEmpty)
            #expect(outside.content["summary"]?["listed"] == false)
            let v6 = await tools.call(name: "lookup_ip_reputation", arguments: ["ip_address": "2001:db8:beef::1"])
            #expect(v6.evidenceIDs == ["intel:blocklist:2001:db8:beef::/48", "intel:scored:2001:db8::/32"])
            let v6Outside = await tools.call(name: "lookup_ip_reputation", arguments: ["ip_address": "2001:db9::1"])
            #expect(v6Outside.evidenceIDs.isEmpty)
            // An IPv4-mapped IPv6 address is its IPv4 host.
            let mapped = await tools.call(name: "lookup_ip_reputation", arguments: ["ip_address": "::ffff:198.51.100.7"])
            #expect(mapped.evidenceIDs == ["intel:blocklist:198.51.100.7/32"])

            // Expired entries no longer match (the plain list expires 30 days after its load by default).
            let later = Self.tools(database, now: Self.now.addingTimeInterval(31 * 86_400))
            let expired = await later.call(name: "lookup_ip_reputation", arguments: ["ip_address": "203.0.113.77"])
            #expect(expired.evidenceIDs == ["intel:scored:203.0.113.64/26"])
        }
    }

    @Test func reputationTellsWhichPrincipalsUsedTheAddress() async throws {
        try await EnrichmentDatabase.with { database in
            _ = try await EnrichmentLoader(pool: database.pool).load(.cloudtrail, paths: try SharedData.cloudTrailFiles())
            let result = await Self.tools(database).call(name: "lookup_ip_reputation", arguments: ["ip_address": "75.50.255.67"])
            let principals = result.content["summary"]!["principals_seen_from_address"]!.arrayValue!
            #expect(principals.map { $0["principal_arn"]!.stringValue! } == [ToolTests.christophe])
            #expect(principals[0]["events"] == 3)
        }
    }

    @Test func vpcFlowDefaultAndCustomFormatsAndNewPeers() async throws {
        try await EnrichmentDatabase.with { database in
            let scratch = try ScratchDirectory()
            defer { scratch.remove() }
            let base = Int(Self.now.timeIntervalSince1970)
            // Baseline (two days before): 10.0.1.5 talks to 10.0.2.9:5432. In the window: that peer again and a new one.
            let defaultFormat = try scratch.write("flows.log", """
                2 123456789012 eni-1 10.0.1.5 10.0.2.9 40000 5432 6 10 1000 \(base - 2 * 86_400) \(base - 2 * 86_400 + 60) ACCEPT OK
                2 123456789012 eni-1 10.0.1.5 10.0.2.9 40001 5432 6 20 3000 \(base - 1800) \(base - 1740) ACCEPT OK
                2 123456789012 eni-1 10.0.1.5 198.51.100.7 40002 443 6 500 900000 \(base - 600) \(base - 540) ACCEPT OK
                2 123456789012 eni-1 - - - - - - - \(base - 300) \(base - 240) - NODATA
                2 123456789012 eni-1 10.0.1.5 nonsense 1 2 6 1 1 \(base - 60) \(base) ACCEPT OK
                """)
            let custom = try scratch.write("custom.log", """
                version srcaddr dstaddr dstport protocol bytes packets start end action
                5 10.0.1.5 2001:db8::9 22 6 700 7 \(base - 120) \(base - 60) REJECT
                """)
            let loader = EnrichmentLoader(pool: database.pool)
            let summary = try await loader.load(.vpcflow, paths: [defaultFormat, custom])
            #expect(summary.read == 6)
            #expect(summary.loaded == 5)
            #expect(summary.rejected.map { "\($0.position): \($0.reason)" } == ["line 5: dstaddr: not an IP address"])
            #expect(try await loader.load(.vpcflow, paths: [defaultFormat, custom]).loaded == 0)

            let result = await Self.tools(database).call(name: "get_vpc_flow_logs", arguments: ["source_ip": "10.0.1.5"])
            #expect(!result.isError)
            let evidence = result.content["evidence"]!.arrayValue!
            #expect(evidence.map { $0["peer"]!.stringValue! } == ["198.51.100.7", "10.0.2.9", "2001:db8::9"])
            #expect(evidence.map { $0["new_peer"]! } == [true, false, true])
            #expect(evidence[0]["bytes"] == 900000)
            #expect(evidence[2]["rejected_records"] == 1)
            #expect(result.evidenceIDs.allSatisfy { $0.hasPrefix("flow:") })
            // Stable ids: the same question gives the same ids.
            let again = await Self.tools(database).call(name: "get_vpc_flow_logs", arguments: ["source_ip": "10.0.1.5", "hours_back": 1])
            #expect(again.evidenceIDs == result.evidenceIDs)
            let inbound = await Self.tools(database).call(name: "get_vpc_flow_logs", arguments: ["destination_ip": "198.51.100.7"])
            #expect(inbound.content["evidence"]!.arrayValue!.map { $0["peer"]!.stringValue! } == ["10.0.1.5"])
        }
    }

    @Test func guardDutyFindingsInEveryEnvelope() async throws {
        try await EnrichmentDatabase.with { database in
            let scratch = try ScratchDirectory()
            defer { scratch.remove() }
            func finding(_ id: String, _ severity: Double, _ type: String, instance: String, updated: String = "2024-08-01T12:00:00Z") -> String {
                """
                {"Id": "\(id)", "AccountId": "229654561268", "Region": "us-east-1", "Type": "\(type)", "Severity": \(severity),
                 "Title": "t", "CreatedAt": "2024-07-31T10:00:00Z", "UpdatedAt": "\(updated)",
                 "Resource": {"ResourceType": "Instance", "InstanceDetails": {"InstanceId": "\(instance)"}}}
                """
            }
            let api = try scratch.write("findings.json", "{\"Findings\": [\(finding("f1", 8.0, "Backdoor:EC2/C&CActivity.B", instance: "i-1")), \(finding("f2", 2.0, "Recon:EC2/Portscan", instance: "i-1"))]}")
            let event = try scratch.write("event.json", """
                {"detail-type": "GuardDuty Finding", "source": "aws.guardduty",
                 "detail": {"id": "f3", "accountId": "229654561268", "region": "us-east-1", "type": "UnauthorizedAccess:IAMUser/MaliciousIPCaller",
                            "severity": 5.5, "createdAt": "2024-08-01T09:00:00Z", "updatedAt": "2024-08-01T09:30:00Z",
                            "resource": {"resourceType": "AccessKey", "accessKeyDetails": {"accessKeyId": "AKIAEXAMPLE", "userName": "christophe"}}}}
                """)
            let bad = try scratch.write("bad.json", "[\(finding("f4", 12, "X", instance: "i-2")), {\"Id\": \"f5\"}]")
            let loader = EnrichmentLoader(pool: database.pool)
            let summary = try await loader.load(.guardduty, paths: [api, event, bad])
            #expect(summary.read == 5)
            #expect(summary.loaded == 3)
            #expect(summary.rejected.map(\.reason) == ["Severity: missing or not a number 0–10", "Type: missing"])
            #expect(try await loader.load(.guardduty, paths: [api, event]).loaded == 0)

            let tools = Self.tools(database)
            let byAccount = await tools.call(name: "check_guardduty_findings", arguments: ["account_id": "229654561268"])
            #expect(byAccount.evidenceIDs == ["gd:f1", "gd:f3"])
            #expect(byAccount.content["summary"]?["max_severity"] == 8.0)
            let byKey = await tools.call(name: "check_guardduty_findings", arguments: ["resource_id": "AKIAEXAMPLE", "severity_min": 0])
            #expect(byKey.evidenceIDs == ["gd:f3"])
            let low = await tools.call(name: "check_guardduty_findings", arguments: ["resource_id": "i-1", "severity_min": 1.5])
            #expect(low.evidenceIDs == ["gd:f1", "gd:f2"])
        }
    }
}
