import Foundation
import Testing

@testable import VigilCore

/// Finds `shared/data` beside the repository (`../shared/data` from the package root), as CI lays it out.
enum SharedData {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    static var fixtures: URL { packageRoot.appendingPathComponent("Tests/VigilCoreTests/Fixtures") }

    /// `../shared/data`, or a recorded test failure when it is missing (never a silent skip).
    static func directory(sourceLocation: SourceLocation = #_sourceLocation) -> URL? {
        let candidate = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
        if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("README.md").path) { return candidate }
        Issue.record("shared/data not found beside the repository (expected ../shared/data)", sourceLocation: sourceLocation)
        return nil
    }

    /// Every CloudTrail event in the shared data: Stratus (arrays), Invictus (`Records`), Panther (`log` per line).
    static func cloudTrailEvents() throws -> [(name: String, event: JSONValue)] {
        guard let root = directory() else { return [] }
        var events: [(String, JSONValue)] = []
        let parser = JSONParser(maxDepth: 128, duplicateKeys: .lastWins)
        let fm = FileManager.default
        for folder in ["stratus-red-team", "invictus-ir", "panther-tests"] {
            let dir = root.appendingPathComponent("cloudtrail/\(folder)")
            let files = try fm.contentsOfDirectory(atPath: dir.path).sorted()
            for file in files where file.hasSuffix(".json") || file.hasSuffix(".jsonl") || file.hasSuffix(".ndjson") {
                let data = try Data(contentsOf: dir.appendingPathComponent(file))
                if file.hasSuffix(".json") {
                    let value = try parser.parse(data)
                    let records = value["Records"]?.arrayValue ?? value.arrayValue ?? [value]
                    for (i, record) in records.enumerated() { events.append(("\(folder)/\(file)#\(i)", record)) }
                } else {
                    for (i, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.isEmpty {
                        let value = try parser.parse(line)
                        events.append(("\(folder)/\(file):\(i + 1)", value["log"] ?? value))
                    }
                }
            }
        }
        return events
    }
}
