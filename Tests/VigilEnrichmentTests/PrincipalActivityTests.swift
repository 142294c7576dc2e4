import Foundation
import Testing
import VigilCore
import VigilEnrichment
import VigilPostgres

/// The hourly summaries per principal (`cloudtrail_principal_activity`) and per source address
/// (`cloudtrail_address_activity`): kept exact by the loader (first load, re-load, concurrent loaders, both write
/// paths), by prune, and read by the tools with the same answers as the raw events.
@Suite struct PrincipalActivityTests {
    /// Rows of the two summaries (per principal, per address) that differ from a fresh aggregation of `cloudtrail_event`
    /// (either way); 0 when both are exact.
    static func differences(_ database: EnrichmentDatabase) async throws -> Int {
        let fresh = """
            SELECT principal_arn, date_trunc('hour', event_time, 'UTC') AS hour, event_source, event_name, coalesce(source_address, ''),
                   coalesce(left(user_agent, 200), ''), count(*), count(*) FILTER (WHERE error_code IS NOT NULL), min(event_time), max(event_time)
            FROM cloudtrail_event WHERE principal_arn IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6
            """
        let stored = """
            SELECT principal_arn, hour, event_source, event_name, source_address, user_agent, events, errors, first_seen, last_seen
            FROM cloudtrail_principal_activity
            """
        return try await database.count(differing(fresh, stored)) + addressDifferences(database)
    }

    /// Rows of the per-address summary that differ from a fresh aggregation of `cloudtrail_event`; 0 when exact.
    static func addressDifferences(_ database: EnrichmentDatabase) async throws -> Int {
        let fresh = """
            SELECT source_ip, date_trunc('hour', event_time, 'UTC') AS hour, coalesce(principal_arn, ''), count(*), min(event_time), max(event_time)
            FROM cloudtrail_event WHERE source_ip IS NOT NULL GROUP BY 1, 2, 3
            """
        let stored = "SELECT source_ip, hour, principal_arn, events, first_seen, last_seen FROM cloudtrail_address_activity"
        return try await database.count(differing(fresh, stored))
    }

    /// Counts the rows of `a` not in `b` and of `b` not in `a` (with repeats).
    private static func differing(_ a: String, _ b: String) -> String {
        "SELECT count(*) FROM (((\(a)) EXCEPT ALL (\(b))) UNION ALL ((\(b)) EXCEPT ALL (\(a)))) d"
    }

    static func summarisedEvents(_ database: EnrichmentDatabase) async throws -> Int {
        try await database.count("SELECT coalesce(sum(events), 0)::int FROM cloudtrail_principal_activity")
    }

    @Test func loadingSummarisesExactlyAndReloadingAddsNothing() async throws {
        try await EnrichmentDatabase.with { database in
            let files = try SharedData.cloudTrailFiles()
            let withPrincipal = try SharedData.records(files).filter { ($0["userIdentity"] as? [String: Any])?["arn"] is String }.count
            let loader = EnrichmentLoader(pool: database.pool)
            _ = try await loader.load(.cloudtrail, paths: files)
            #expect(try await Self.summarisedEvents(database) == withPrincipal)
            #expect(try await database.count("SELECT count(*) FROM cloudtrail_principal_activity") > 0)
            #expect(try await database.count("SELECT coalesce(sum(events), 0)::int FROM cloudtrail_address_activity")
                == database.count("SELECT count(*) FROM cloudtrail_event WHERE source_ip IS NOT NULL"))
            #expect(try await database.count("SELECT count(*) FROM cloudtrail_address_activity WHERE principal_arn = ''") > 0,
                "the shared data has an event with an address and no principal")
            #expect(try await Self.differences(database) == 0)

            let again = try await loader.load(.cloudtrail, paths: files)
            #expect(again.loaded == 0)
            #expect(try await Self.summarisedEvents(database) == withPrincipal)
            #expect(try await Self.differences(database) == 0)
        }
    }

    @Test func loadersRacingOverAPartlyLoadedSetSummariseOnlyWhatTheyInsert() async throws {
        // Half the files are stored first; then two loaders load all of them at once. Whichever path a batch takes
        // (direct COPY, or the staged insert after a unique violation), only inserted events may be counted.
        try await EnrichmentDatabase.with { database in
            let files = try SharedData.files("cloudtrail/stratus-red-team")
            let loader = EnrichmentLoader(pool: database.pool)
            _ = try await loader.load(.cloudtrail, paths: Array(files.prefix(files.count / 2)))
            #expect(try await Self.differences(database) == 0)
            let stored = try await database.count("SELECT count(*) FROM cloudtrail_event")
            async let first = loader.load(.cloudtrail, paths: files)
            async let second = loader.load(.cloudtrail, paths: files.reversed())
            let (a, b) = try await (first, second)
            let total = try await database.count("SELECT count(*) FROM cloudtrail_event")
            #expect(a.loaded + b.loaded == total - stored)
            #expect(a.rejected.isEmpty && b.rejected.isEmpty)
            #expect(try await Self.differences(database) == 0)
        }
    }

    @Test func loadersWritingTheSameEventsInOppositeOrdersNeitherDeadlockNorDoubleCount() async throws {
        // Each round, two loaders write the same new events in one batch each, one in file order and one reversed:
        // their COPYs wait for each other's keys in opposite orders, which PostgreSQL breaks by aborting one. The
        // aborted batch must be written again (the staged path, keys in one order), not fail the load.
        try await EnrichmentDatabase.with { database in
            let scratch = try ScratchDirectory()
            defer { scratch.remove() }
            let records = try SharedData.records(SharedData.cloudTrailFiles())
            var loader = EnrichmentLoader(pool: database.pool)
            loader.writers = 1
            loader.batchRows = records.count + 1
            let written = loader
            for round in 0..<3 {
                let renamed = records.enumerated().map { index, record in
                    var record = record
                    record["eventID"] = "race-\(round)-\(index)"
                    return record
                }
                func file(_ name: String, _ list: [[String: Any]]) throws -> String {
                    let data = try JSONSerialization.data(withJSONObject: ["Records": list])
                    return try scratch.write(name, String(decoding: data, as: UTF8.self))
                }
                let forward = try file("forward-\(round).json", renamed)
                let backward = try file("backward-\(round).json", renamed.reversed())
                async let a = written.load(.cloudtrail, paths: [forward])
                async let b = written.load(.cloudtrail, paths: [backward])
                let (first, second) = try await (a, b)
                #expect(first.loaded + second.loaded == records.count, "round \(round)")
                #expect(first.loaded + first.duplicates == records.count && second.loaded + second.duplicates == records.count)
            }
            #expect(try await database.count("SELECT count(*) FROM cloudtrail_event") == 3 * records.count)
            #expect(try await Self.differences(database) == 0)
        }
    }

    @Test func concurrentLoadersOfOverlappingFilesStoreEachEventOnce() async throws {
        try await EnrichmentDatabase.with { database in
            let files = try SharedData.cloudTrailFiles()
            let oracle = try SharedData.records(files)
            var small = EnrichmentLoader(pool: database.pool)
            small.batchRows = 50  // many small transactions, so the two loaders interleave
            let loader = small
            let half = files.count / 2
            async let left = loader.load(.cloudtrail, paths: Array(files.prefix(half + 10)))
            async let right = loader.load(.cloudtrail, paths: Array(files.suffix(files.count - half + 10)))
            async let everything = loader.load(.cloudtrail, paths: files.reversed())
            let summaries = try await [left, right, everything]
            #expect(summaries.allSatisfy { $0.rejected.isEmpty })
            #expect(summaries.map(\.loaded).reduce(0, +) == oracle.count)
            #expect(try await database.count("SELECT count(*) FROM cloudtrail_event") == oracle.count)
            #expect(try await Self.differences(database) == 0)
        }
    }

    /// Windows that start and end inside hours, across the Invictus principal's busy hour and the Stratus events: the
    /// tools' counts (summary for whole hours, raw events for partial ones) equal the raw events' counts.
    @Test(arguments: ["2023-07-10T12:17:31Z", "2023-07-10T12:00:00Z", "2023-07-10T13:00:00.5Z", "2023-07-11T11:59:59Z", "2023-10-07T12:30:00Z"])
    func toolCountsEqualTheRawEvents(now: String) async throws {
        try await ToolTests.withTools(now: now) { database, tools in
            let until = RFC3339.parse(now)!
            for principal in [ToolTests.bertJan, "arn:aws:iam::123837392027:user/benjamin"] {
                for hours in [1, 2, 24] {
                    let since = until.addingTimeInterval(-Double(hours) * 3600)
                    let result = await tools.call(name: "get_cloudtrail_events", arguments: ["principal_arn": .string(principal), "hours_back": .int(Int64(hours))])
                    let raw = try await database.pool.query(
                        """
                        SELECT count(*)::int AS n, count(*) FILTER (WHERE error_code IS NOT NULL)::int AS errors, count(DISTINCT event_name)::int AS names
                        FROM cloudtrail_event WHERE principal_arn = $1 AND event_time > $2 AND event_time <= $3
                        """,
                        [principal, since, until]
                    )[0]
                    let summary = result.content["summary"]!
                    #expect(summary["total_events"] == .int(Int64(try raw.decode(Int.self, column: "n"))), "\(principal) \(hours) h")
                    #expect(summary["failed_calls"] == .int(Int64(try raw.decode(Int.self, column: "errors"))))
                    let listed = summary["event_names"]!.arrayValue!.count + Int(summary["event_names_omitted"]!.intValue!)
                    #expect(listed == (try raw.decode(Int.self, column: "names")))
                    let top = try await database.pool.query(
                        """
                        SELECT coalesce(source_address, '') AS a, count(*)::int AS n FROM cloudtrail_event
                        WHERE principal_arn = $1 AND event_time > $2 AND event_time <= $3 GROUP BY 1 ORDER BY n DESC, 1 LIMIT 10
                        """,
                        [principal, since, until]
                    )
                    let expected: [JSONValue] = try top.map { ["source_address": .string(try $0.decode(String.self, column: "a")), "count": .int(Int64(try $0.decode(Int.self, column: "n")))] }
                    #expect(summary["source_addresses"]!.arrayValue! == expected)
                }
                let history = await tools.call(name: "get_iam_principal_history", arguments: ["principal_arn": .string(principal)])
                let since = until.addingTimeInterval(-90 * 86_400)
                let calls = try await database.pool.query(
                    """
                    SELECT event_source, event_name, count(*)::int AS n, count(*) FILTER (WHERE error_code IS NOT NULL)::int AS failed
                    FROM cloudtrail_event WHERE principal_arn = $1 AND event_time > $2 AND event_time <= $3 GROUP BY 1, 2
                    """,
                    [principal, since, until]
                )
                let total = try calls.reduce(0) { $0 + (try $1.decode(Int.self, column: "n")) }
                #expect(history.content["baseline"]?["events"] == .int(Int64(total)))
                var expectedCalls: [String: (Int, Int)] = [:]
                for row in calls {
                    expectedCalls[try row.decode(String.self, column: "event_source") + " " + row.decode(String.self, column: "event_name")] =
                        (try row.decode(Int.self, column: "n"), try row.decode(Int.self, column: "failed"))
                }
                for call in history.content["summary"]!["api_calls"]!.arrayValue! {
                    let key = call["event_source"]!.stringValue! + " " + call["event_name"]!.stringValue!
                    #expect(expectedCalls[key]?.0 == Int(call["count"]!.intValue!), "\(key)")
                    #expect(expectedCalls[key]?.1 == Int(call["failed"]!.intValue!), "\(key)")
                }
                let agents = try await database.pool.query(
                    """
                    SELECT coalesce(left(user_agent, 200), '') AS v, count(*)::int AS n, min(event_time) AS f, max(event_time) AS l FROM cloudtrail_event
                    WHERE principal_arn = $1 AND event_time > $2 AND event_time <= $3 GROUP BY 1 ORDER BY n DESC, 1 LIMIT 10
                    """,
                    [principal, since, until]
                )
                let expectedAgents: [JSONValue] = try agents.map { row in
                    [
                        "user_agent": .string(try row.decode(String.self, column: "v")), "count": .int(Int64(try row.decode(Int.self, column: "n"))),
                        "first_seen": .string(RFC3339.format(try row.decode(Date.self, column: "f"))),
                        "last_seen": .string(RFC3339.format(try row.decode(Date.self, column: "l"))),
                    ]
                }
                #expect(history.content["summary"]!["user_agents"]!.arrayValue! == expectedAgents)
            }
        }
    }
}
