import Foundation
import Testing

/// VigilCore is pure (DESIGN.md: "no I/O"): it can recommend, never act. These checks read its sources and fail
/// when an API that touches files, processes, the network or threads appears there.
@Suite struct CorePurityTests {
    static let forbidden = [
        "FileManager", "FileHandle", "URLSession", "URLRequest", "Process(", "posix_spawn", "system(", "popen(", "fopen(", "socket(",
        "import Glibc", "import Darwin", "import Dispatch", "DispatchQueue", "Thread(", "Task.detached", "Task {", "ProcessInfo",
        "getenv(", "NSLock", "sleep(",
    ]

    static func coreSources() throws -> [(String, String)] {
        let root = SharedData.packageRoot.appendingPathComponent("Sources/VigilCore")
        let enumerator = try #require(FileManager.default.enumerator(atPath: root.path))
        var files: [(String, String)] = []
        while let path = enumerator.nextObject() as? String {
            guard path.hasSuffix(".swift") else { continue }
            files.append((path, try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)))
        }
        return files
    }

    @Test func vigilCoreUsesNoIOProcessNetworkOrThreadAPIs() throws {
        let files = try Self.coreSources()
        #expect(files.count >= 20)
        for (path, text) in files {
            for token in Self.forbidden {
                #expect(!text.contains(token), "\(path) uses \(token)")
            }
        }
    }

    @Test func recommendedActionsAreOnlyText() throws {
        // The verdict's action is a String for a person; no type in the core models an executable action.
        for (path, text) in try Self.coreSources() {
            for name in ["func execute(", "func contain(", "func containment", "func remediate(", "func block(", "func disable("] {
                #expect(!text.contains(name), "\(path) declares \(name)")
            }
        }
    }
}
