import Foundation
import Testing
import VigilCore

@testable import VigilRules

/// Tests against the public data in `../shared/data`; they fail (not skip) when it is missing.
@Suite struct SharedDataTests {
    @Test func allSigmaHQAWSRulesLoad() throws {
        let report = RuleTestRunner.check(paths: [try sharedData("sigma/aws-cloudtrail")])
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(report.files == 57)
        #expect(report.rules == 57)
    }

    /// The exact (rule, event) hit set on the Stratus Red Team detonations, 57 SigmaHQ rules plus the built-ins,
    /// events in time order as `vigil rules test` runs them. Any change to it must be reviewed and the fixture updated.
    @Test func stratusHitSetIsExactlyTheFixture() throws {
        let runner = try RuleTestRunner(rulePaths: [try sharedData("sigma/aws-cloudtrail")], builtins: true)
        let directory = try sharedData("cloudtrail/stratus-red-team")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
            .map { directory + "/" + $0 }
        #expect(files.count == 35)
        var lines: [String] = []
        let summary = try runner.run(files: files) { line in
            let hit = (try? JSONParser().parse(line)) ?? .null
            lines.append([hit["rule_id"], hit["event_id"], hit["title"]].map { $0?.stringValue ?? "-" }.joined(separator: "\t"))
        }
        #expect(summary.events == 310)
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/stratus-hits.tsv")
        let expected = try String(contentsOf: fixture, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.sorted() == expected)
    }

    @Test func invictusAndPantherSetsRunWithoutErrors() throws {
        let runner = try RuleTestRunner(rulePaths: [try sharedData("sigma/aws-cloudtrail")], builtins: true)
        let invictus = try sharedData("cloudtrail/invictus-ir")
        let files = try FileManager.default.contentsOfDirectory(atPath: invictus).filter { $0.hasSuffix(".json") }.map { invictus + "/" + $0 }
        var hits = 0
        let summary = try runner.run(files: files + [try sharedData("cloudtrail/panther-tests/aws_cloudtrail_rule_tests.jsonl")]) { _ in hits += 1 }
        #expect(summary.events == 2_900 + 311)
        #expect(hits == summary.hits)
        #expect(hits > 0)
    }
}

@Suite struct CloudTrailReaderTests {
    private let records = #"{"eventID":"a","eventName":"X"}"#

    @Test func readsArraysRecordsAndNDJSON() throws {
        let array = try CloudTrailReader.events(bytes: Array("[\(records),\(records)]".utf8), name: "a.json")
        #expect(array.count == 2)
        let delivery = try CloudTrailReader.events(bytes: Array(#"{"Records":[\#(records)]}"#.utf8), name: "r.json")
        #expect(delivery.first?["eventID"] == "a")
        let ndjson = try CloudTrailReader.events(bytes: Array("\(records)\n\n{\"log\":\(records),\"expected_result\":true}\n".utf8), name: "n.jsonl")
        #expect(ndjson.count == 2)
        #expect(ndjson[1]["eventName"] == "X", "Panther's log wrapper is unwrapped")
    }

    @Test func readsGzipFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = directory.appendingPathComponent("events.json")
        try Data(#"{"Records":[\#(records),\#(records),\#(records)]}"#.utf8).write(to: plain)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-k", plain.path]
        try gzip.run()
        gzip.waitUntilExit()
        #expect(gzip.terminationStatus == 0)
        #expect(try CloudTrailReader.events(path: plain.path + ".gz").count == 3)
    }

    @Test func aCorruptArrayElementLosesOnlyItself() {
        // Brackets, commas and escaped quotes inside strings do not split; the broken second element is reported
        // with its record number and line, and the elements around it are read.
        let text = "{\"Records\": [\n" + #"{"eventID":"a","eventName":"X [,] \"}{"}"# + ",\n" + #"{"eventID":"b",, broken}"#
            + ",\n" + #"{"eventID":"c","requestParameters":{"list":[1,2]}}"# + "\n]}"
        let scan = CloudTrailReader.scan(bytes: Array(text.utf8))
        #expect(scan.records.map { $0.1["eventID"] } == ["a", "c"])
        #expect(scan.records.map(\.0.record) == [1, 3])
        #expect(scan.records[0].1["eventName"] == #"X [,] "}{"#)
        #expect(scan.failures.count == 1)
        #expect(scan.failures.first?.0.record == 2 && scan.failures.first?.0.line == 3)
    }

    @Test func reportsTheLineOfBadNDJSON() {
        #expect {
            _ = try CloudTrailReader.events(bytes: Array("\(records)\n{broken\n".utf8), name: "bad.jsonl")
        } throws: { error in
            (error as? CloudTrailReader.ReadError)?.description.hasPrefix("bad.jsonl: line 2") == true
        }
    }
}
