import Foundation
import Testing
import VigilCore
import VigilEnrichment
import VigilPostgres

@Suite struct CloudTrailLoaderTests {
    @Test func loadsEveryRecordOnceAndReloadAddsNothing() async throws {
        try await EnrichmentDatabase.with { database in
            let files = try SharedData.cloudTrailFiles()
            let oracle = try SharedData.records(files)
            let loader = EnrichmentLoader(pool: database.pool)

            let first = try await loader.load(.cloudtrail, paths: files)
            #expect(first.read == oracle.count)
            #expect(first.loaded == oracle.count)
            #expect(first.duplicates == 0)
            #expect(first.rejected.isEmpty)
            #expect(try await database.count("SELECT count(*) FROM cloudtrail_event") == oracle.count)
            let distinctIDs = Set(oracle.compactMap { $0["eventID"] as? String })
            #expect(try await database.count("SELECT count(DISTINCT event_id) FROM cloudtrail_event") == distinctIDs.count)

            let again = try await loader.load(.cloudtrail, paths: files)
            #expect(again.read == oracle.count)
            #expect(again.loaded == 0)
            #expect(again.duplicates == oracle.count)
            #expect(try await database.count("SELECT count(*) FROM cloudtrail_event") == oracle.count)
        }
    }

    @Test func keyColumnsComeFromTheRecord() async throws {
        try await EnrichmentDatabase.with { database in
            let file = try SharedData.files("cloudtrail/stratus-red-team").first { $0.hasSuffix("aws.persistence.iam-create-admin-user.json") }!
            _ = try await EnrichmentLoader(pool: database.pool).load(.cloudtrail, paths: [file])
            let row = try await database.pool.query(
                """
                SELECT event_source, event_name, principal_arn, principal_type, account_id, region, source_address, host(source_ip) AS ip,
                       user_agent, resources, record->>'eventID' AS record_id, event_time
                FROM cloudtrail_event WHERE event_id = '083dc4ad-e264-46bc-a407-d0dd31b58bdc'
                """
            )[0]
            #expect(try row.decode(String.self, column: "event_source") == "iam.amazonaws.com")
            #expect(try row.decode(String.self, column: "event_name") == "AttachUserPolicy")
            #expect(try row.decode(String.self, column: "principal_arn") == "arn:aws:iam::229654561268:user/christophe")
            #expect(try row.decode(String.self, column: "principal_type") == "IAMUser")
            #expect(try row.decode(String.self, column: "account_id") == "229654561268")
            // Anonymised region names load as written.
            #expect(try row.decode(String.self, column: "region") == "ap-isob-central-3r")
            // The anonymiser's leading zeros are kept as written and canonicalised in the inet column.
            #expect(try row.decode(String.self, column: "source_address") == "075.050.255.67")
            #expect(try row.decode(String.self, column: "ip") == "75.50.255.67")
            #expect(try row.decode([String].self, column: "resources") == ["arn:aws:iam::aws:policy/AdministratorAccess"])
            #expect(try row.decode(String.self, column: "record_id") == "083dc4ad-e264-46bc-a407-d0dd31b58bdc")
            #expect(try row.decode(Date.self, column: "event_time") == RFC3339.parse("2024-08-01T13:33:28Z"))
        }
    }

    @Test func corruptRecordsAreReportedWithTheirPositionAndTheRestLoad() async throws {
        try await EnrichmentDatabase.with { database in
            let scratch = try ScratchDirectory()
            defer { scratch.remove() }
            let source = try SharedData.files("cloudtrail/invictus-ir")[0]
            let total = try SharedData.records([source]).count
            #expect(total >= 5)
            // The third record is broken JSON; the fifth has no eventName.
            let events = try CloudTrailFixture.events(source)
            let ids = events.map { $0["eventID"]!.stringValue! }
            var elements = events.map(\.jsonText)
            elements[2] = #"{"eventID": "\#(ids[2])", "eventName": }"#
            elements[4] = JSONValue.object(JSONObject(events[4].objectValue!.members.filter { $0.key != "eventName" })).jsonText
            let broken = try scratch.write("broken.json", "{\"Records\": [\n" + elements.joined(separator: ",\n") + "\n]}\n")

            let summary = try await EnrichmentLoader(pool: database.pool).load(.cloudtrail, paths: [broken])
            #expect(summary.read == total)
            #expect(summary.loaded == total - 2)
            #expect(summary.rejected.count == 2)
            #expect(summary.rejected[0].position == "line 4 (record 3)")
            #expect(summary.rejected[1].position == "line 6 (record 5)")
            #expect(summary.rejected[1].reason == "eventName: missing")
            #expect(summary.rejected.allSatisfy { $0.file == broken })
            #expect(try await database.count("SELECT count(*) FROM cloudtrail_event") == total - 2)
            #expect(try await database.count("SELECT count(*) FROM cloudtrail_event WHERE event_id = $1", [ids[2]]) == 0)
        }
    }

    @Test func ndjsonAndGzipLoadAndBadLinesAreRejectedByLine() async throws {
        try await EnrichmentDatabase.with { database in
            let scratch = try ScratchDirectory()
            defer { scratch.remove() }
            let source = try SharedData.files("cloudtrail/stratus-red-team")[0]
            let events = try CloudTrailFixture.events(source)
            var lines = events.map(\.jsonText)
            lines.insert("{not json", at: 1)
            let path = try scratch.write("events.ndjson", lines.joined(separator: "\n") + "\n")
            let gzipped = try CloudTrailFixture.gzip(path)

            let summary = try await EnrichmentLoader(pool: database.pool).load(.cloudtrail, paths: [gzipped])
            #expect(summary.read == events.count + 1)
            #expect(summary.loaded == events.count)
            #expect(summary.rejected.map(\.position) == ["line 2 (record 2)"])
        }
    }

    /// A file larger than a batch is read in chunks and split across batches: the counts are those of its records,
    /// corrupt records are reported with their position, the summary counts every stored event, and re-loading adds
    /// nothing. (The memory bound itself is shown by `CloudTrailRecordStreamTests` and the max-RSS figure in
    /// benchmarks/enrichment/README.md.)
    @Test func aFileLargerThanABatchLoadsInBatchesWithTheSameCounts() async throws {
        try await EnrichmentDatabase.with { database in
            let scratch = try ScratchDirectory()
            defer { scratch.remove() }
            let events = try SharedData.cloudTrailFiles().flatMap(CloudTrailFixture.events)
            var lines: [String] = []
            for copy in 0..<3 {
                for event in events {
                    let id = event["eventID"]!.stringValue!
                    lines.append(event.jsonText.replacingOccurrences(of: #""eventID":"\#(id)""#, with: #""eventID":"\#(id)-c\#(copy)""#))
                }
            }
            let corrupt = [5, 4_000, lines.count]
            for (offset, index) in corrupt.enumerated() { lines.insert("{\"eventID\": oops", at: index + offset) }
            let ndjson = try scratch.write("big.ndjson", lines.joined(separator: "\n") + "\n")
            let gzipped = try CloudTrailFixture.gzip(ndjson)
            var loader = EnrichmentLoader(pool: database.pool)
            loader.batchRows = 1_000

            let summary = try await loader.load(.cloudtrail, paths: [gzipped])
            let total = events.count * 3
            #expect(summary.read == total + corrupt.count)
            #expect(summary.loaded == total)
            #expect(summary.duplicates == 0)
            let positions = corrupt.enumerated().map { "line \($0.element + $0.offset + 1) (record \($0.element + $0.offset + 1))" }
            #expect(summary.rejected.map(\.position) == positions)
            #expect(try await database.count("SELECT count(*) FROM cloudtrail_event") == total)
            #expect(
                try await database.count("SELECT sum(events)::int FROM cloudtrail_principal_activity")
                    == database.count("SELECT count(*) FROM cloudtrail_event WHERE principal_arn IS NOT NULL")
            )
            let again = try await loader.load(.cloudtrail, paths: [gzipped])
            #expect(again.loaded == 0)
            #expect(again.duplicates == total)
        }
    }
}

enum CloudTrailFixture {
    static func events(_ path: String) throws -> [JSONValue] {
        let value = try JSONParser().parse(Data(contentsOf: URL(fileURLWithPath: path)))
        return value.arrayValue ?? value["Records"]?.arrayValue ?? []
    }

    /// Compresses with the system gzip; returns the `.gz` path.
    static func gzip(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-kf", path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SetupError("gzip failed") }
        return path + ".gz"
    }
}
