import Foundation
import Testing
import VigilCore
import VigilEnrichment
import VigilPostgres

@Suite struct ReportAndPruneTests {
    @Test func iamActivityReportOnTheInvictusData() async throws {
        try await EnrichmentDatabase.with { database in
            let files = try SharedData.cloudTrailFiles()
            _ = try await EnrichmentLoader(pool: database.pool).load(.cloudtrail, paths: files)
            let until = RFC3339.parse("2023-07-10T13:00:00Z")!
            let rows = try await IAMActivityReport(pool: database.pool).rows(hours: 2, until: until)

            // Oracle: the persistence calls in the window, grouped by principal and name, from the files themselves.
            var expected: [String: Int] = [:]
            for record in try SharedData.records(files) {
                guard record["eventSource"] as? String == "iam.amazonaws.com", let name = record["eventName"] as? String,
                    IAMActivityReport.persistenceCalls.contains(name), let time = RFC3339.parse(record["eventTime"] as! String),
                    time > until.addingTimeInterval(-7200), time <= until
                else { continue }
                let principal = (record["userIdentity"] as? [String: Any])?["arn"] as? String ?? ""
                expected["\(principal) \(name)", default: 0] += 1
            }
            #expect(!expected.isEmpty)
            #expect(Dictionary(uniqueKeysWithValues: rows.map { ("\($0.principalARN) \($0.eventName)", $0.count) }) == expected)
            let createRole = try #require(rows.first { $0.principalARN == ToolTests.bertJan && $0.eventName == "CreateRole" })
            #expect(createRole.count == 13)
            #expect(createRole.outsideBaseline)
            #expect(createRole.sourceAddress != nil)
            let alert = IAMActivityReport.alert(createRole)
            #expect(alert["kind"] == "iam-persistence")
            #expect(alert["payload"]?["evidence_ids"]?.arrayValue?.first?.stringValue == "ct:" + createRole.latestEventID)

            // A later window with the same calls in its baseline marks them as usual.
            let later = try await IAMActivityReport(pool: database.pool).rows(hours: 1, until: until.addingTimeInterval(3 * 86_400))
            #expect(later.isEmpty)
        }
    }

    @Test func authFailuresPreFilterFindsSuspects() async throws {
        try await EnrichmentDatabase.with { database in
            let scratch = try ScratchDirectory()
            defer { scratch.remove() }
            let until = RFC3339.parse("2024-08-01T14:00:00Z")!
            func at(_ secondsBefore: Int) -> String { RFC3339.format(until.addingTimeInterval(-Double(secondsBefore))) }
            var lines: [String] = []
            // alice: usual address in the baseline, then 12 failures from it in the window (over the threshold).
            lines.append(#"{"time": "\#(at(5 * 86_400))", "user": "alice", "source_ip": "192.0.2.10", "result": "success", "country": "NL"}"#)
            for i in 0..<12 { lines.append(#"{"time": "\#(at(60 * (i + 1)))", "user": "alice", "source_ip": "192.0.2.10", "result": "failure", "error_code": "bad_password"}"#) }
            // bob: two failures from a new address and country.
            lines.append(#"{"time": "\#(at(5 * 86_400))", "user": "bob", "source_ip": "192.0.2.20", "result": "success", "country": "NL"}"#)
            lines.append(
                #"{"time": "\#(at(300))", "user": "bob", "source_ip": "203.0.113.5", "result": "failure", "country": "KP", "asn": "AS64500"}"#)
            lines.append(#"{"time": "\#(at(200))", "user": "bob", "source_ip": "203.0.113.5", "result": "failure", "country": "KP"}"#)
            // carol: one failure from her usual address: not a suspect.
            lines.append(#"{"time": "\#(at(5 * 86_400))", "user": "carol", "source_ip": "192.0.2.30", "success": true}"#)
            lines.append(#"{"time": "\#(at(100))", "user": "carol", "source_ip": "192.0.2.30", "success": false}"#)
            lines.append(#"{"time": "yesterday", "user": "dave", "result": "failure"}"#)
            let path = try scratch.write("auth.ndjson", lines.joined(separator: "\n"))
            let loader = EnrichmentLoader(pool: database.pool)
            let summary = try await loader.load(.auth, paths: [path])
            #expect(summary.read == lines.count)
            #expect(summary.loaded == lines.count - 1)
            #expect(summary.rejected.map(\.position) == ["line \(lines.count) (record \(lines.count))"])
            #expect(try await loader.load(.auth, paths: [path]).loaded == 0)

            let rows = try await AuthFailureReport(pool: database.pool).rows(hours: 1, until: until)
            #expect(rows.map(\.user) == ["alice", "bob", "carol"])
            #expect(rows[0].failures == 12)
            #expect(rows[0].overThreshold)
            #expect(rows[0].unusualAddresses.isEmpty)
            #expect(rows[1].unusualAddresses == ["203.0.113.5"])
            #expect(rows[1].unusualCountries == ["KP"])
            #expect(!rows[1].overThreshold)
            #expect(!rows[2].isSuspect)
            #expect(rows.filter(\.isSuspect).map(\.user) == ["alice", "bob"])
        }
    }

    /// A loader writing one batch must not hold up another that needs a new day (migration 16): making the partition
    /// does not wait for the open transaction writing the table, nor for one in another schema that is making the same
    /// table's partitions there (the staged path makes them inside its batch transaction); and the partition gets the
    /// parent's indexes.
    @Test func makingADayPartitionDoesNotWaitForAnOpenWrite() async throws {
        try await EnrichmentDatabase.with { database in
            try await EnrichmentDatabase.with { elsewhere in
                for table in PartitionPruner.tables {
                    try await database.pool.query("SELECT vigil_ensure_day_partitions($1, ARRAY['2030-01-01'::date])", [table])
                }
                try await database.pool.withTransaction { writer in
                    try await writer.query(
                        """
                        INSERT INTO cloudtrail_event (event_id, event_time, event_source, event_name, record)
                        VALUES ('open', '2030-01-01T01:00:00Z', 's3.amazonaws.com', 'GetObject', '{}')
                        """)
                    try await elsewhere.pool.withTransaction { staged in
                        for table in PartitionPruner.tables {
                            try await staged.query("SELECT vigil_ensure_day_partitions($1, ARRAY['2030-01-03'::date])", [table])
                        }
                        try await database.pool.withTransaction { other in
                            try await other.query("SET LOCAL lock_timeout = '2s'")
                            for table in PartitionPruner.tables {
                                let made = try await other.query("SELECT vigil_ensure_day_partitions($1, ARRAY['2030-01-02'::date]) AS n", [table])
                                #expect(try made[0].decode(Int.self, column: "n") == 1, "\(table)")
                            }
                        }
                    }
                }
                for table in PartitionPruner.tables {
                    let indexes = "SELECT count(*) FROM pg_index WHERE indrelid = to_regclass($1)"
                    let parent = try await database.count(indexes, [table])
                    #expect(parent > 0, "\(table)")
                    #expect(try await database.count(indexes, [table + "_p20300102"]) == parent, "\(table)")
                    #expect(try await database.count(indexes, [table + "_p20300101"]) == parent, "\(table)")
                    #expect(try await elsewhere.count(indexes, [table + "_p20300103"]) == parent, "\(table)")
                }
                #expect(try await database.count("SELECT count(*) FROM cloudtrail_event WHERE event_id = 'open'") == 1)
            }
        }
    }

    @Test func pruneDropsWholeDayPartitions() async throws {
        try await EnrichmentDatabase.with { database in
            let files = try SharedData.cloudTrailFiles()
            _ = try await EnrichmentLoader(pool: database.pool).load(.cloudtrail, paths: files)
            let records = try SharedData.records(files)
            let days = Set(records.map { String(($0["eventTime"] as! String).prefix(10)) })
            let partitions = try await database.count(
                "SELECT count(*) FROM pg_inherits WHERE inhparent = 'cloudtrail_event'::regclass"
            )
            #expect(partitions == days.count)

            // Everything before 2024-01-01 goes: the 2023 Invictus days.
            let cutoff = RFC3339.parse("2024-01-01T00:00:00Z")!
            let dropped = try await PartitionPruner(pool: database.pool).prune(before: cutoff)
            let oldDays = days.filter { $0 < "2024-01-01" }
            #expect(!oldDays.isEmpty)
            #expect(Set(dropped.filter { $0.hasPrefix("cloudtrail_event_") }) == Set(oldDays.map { "cloudtrail_event_p" + $0.replacingOccurrences(of: "-", with: "") }))
            // The per-principal summary loses the same days (the days that had events with a principal).
            #expect(Set(dropped.filter { $0.hasPrefix("cloudtrail_principal_activity_") }.map { $0.suffix(8) }).isSubset(of: Set(oldDays.map { $0.replacingOccurrences(of: "-", with: "")[...] })))
            #expect(dropped.contains { $0.hasPrefix("cloudtrail_principal_activity_") })
            #expect(try await database.count("SELECT count(*) FROM cloudtrail_principal_activity WHERE hour < $1", [cutoff]) == 0)
            // So does the per-address summary.
            #expect(dropped.contains { $0.hasPrefix("cloudtrail_address_activity_") })
            #expect(try await database.count("SELECT count(*) FROM cloudtrail_address_activity WHERE hour < $1", [cutoff]) == 0)
            #expect(try await PrincipalActivityTests.differences(database) == 0)
            #expect(try await database.count("SELECT coalesce(sum(events), 0)::int FROM cloudtrail_principal_activity")
                == database.count("SELECT count(*) FROM cloudtrail_event WHERE principal_arn IS NOT NULL"))
            let remaining = records.filter { ($0["eventTime"] as! String) >= "2024-01-01" }.count
            #expect(try await database.count("SELECT count(*) FROM cloudtrail_event") == remaining)
            #expect(try await PartitionPruner(pool: database.pool).prune(before: cutoff).isEmpty)
            #expect(PartitionPruner.parseAge("90d") == .seconds(90 * 86_400))
            #expect(PartitionPruner.parseAge("ninety") == nil)
        }
    }
}
