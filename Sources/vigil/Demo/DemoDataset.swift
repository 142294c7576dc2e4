import Foundation

/// Where `vigil demo` takes its CloudTrail events and Sigma rules from.
///
/// Looked for, in order: `--data DIR`; `../shared/data` beside the working directory (the repository root when run by
/// `scripts/demo.sh`); `../shared/data` beside the repository holding this binary (`REPO/.build*/…/vigil`); else the
/// small sample embedded in the binary (``DemoSample``), written to `STATE/demo/sample-cloudtrail.json`.
struct DemoDataset: Sendable {
    /// CloudTrail files for the loader and the rule path.
    var cloudTrailFiles: [String]
    /// The SigmaHQ CloudTrail rules, when present (the built-in rules always run).
    var sigmaDirectory: String?
    /// Where the data came from, for the operator.
    var origin: String

    /// - Throws: ``ClusterError`` with code `noData` when `explicit` names a folder without CloudTrail files.
    static func locate(explicit: String?, stateDirectory: URL) throws -> DemoDataset {
        var candidates: [URL] = []
        if let explicit {
            candidates = [URL(fileURLWithPath: explicit)]
        } else {
            let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            candidates.append(cwd.deletingLastPathComponent().appendingPathComponent("shared/data"))
            // REPO/.build-x/release/vigil or REPO/.build-x/x86_64-unknown-linux-gnu/release/vigil
            var folder = URL(fileURLWithPath: SupervisedProcess.currentExecutable).deletingLastPathComponent()
            for _ in 0..<4 {
                folder = folder.deletingLastPathComponent()
                candidates.append(folder.deletingLastPathComponent().appendingPathComponent("shared/data"))
            }
        }
        for root in candidates {
            let files = cloudTrailFiles(under: root.appendingPathComponent("cloudtrail"))
            guard !files.isEmpty else { continue }
            let sigma = root.appendingPathComponent("sigma/aws-cloudtrail")
            let hasSigma = FileManager.default.fileExists(atPath: sigma.path)
            return DemoDataset(cloudTrailFiles: files, sigmaDirectory: hasSigma ? sigma.path : nil, origin: root.standardizedFileURL.path)
        }
        if let explicit { throw ClusterError(.noData, "no CloudTrail files under \(explicit)/cloudtrail") }
        let folder = stateDirectory.appendingPathComponent("demo")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let sample = folder.appendingPathComponent("sample-cloudtrail.json")
        try Data(DemoSample.cloudTrailJSON.utf8).write(to: sample)
        return DemoDataset(cloudTrailFiles: [sample.path], sigmaDirectory: nil,
                           origin: "the sample built into vigil (14 Stratus Red Team events; ../shared/data not found)")
    }

    /// The Stratus Red Team and Invictus IR files (JSON) under `folder`, sorted; Panther's hand-written test events
    /// are left out (their ids repeat and they are rule fixtures, not a log).
    private static func cloudTrailFiles(under folder: URL) -> [String] {
        var files: [String] = []
        for set in ["stratus-red-team", "invictus-ir"] {
            let directory = folder.appendingPathComponent(set)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            files += names.filter { $0.hasSuffix(".json") || $0.hasSuffix(".json.gz") }.sorted().map { directory.appendingPathComponent($0).path }
        }
        return files
    }
}
