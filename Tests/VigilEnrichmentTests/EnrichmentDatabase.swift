import Foundation
import Testing
import VigilCore
import VigilEnrichment
import VigilPostgres
import VigilSchema
import VigilTestSupport

/// An isolated, migrated schema on the test server (`DATABASE_URL`, started by `scripts/test.sh`); dropped when
/// ``with(_:)`` returns or throws.
struct EnrichmentDatabase {
    let schema: String
    let pool: PostgresPool

    static var baseConfiguration: PostgresConfiguration {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
                throw SetupError("DATABASE_URL is not set: run the tests with scripts/test.sh, which starts PostgreSQL")
            }
            return PostgresConfiguration(connectionString: url)
        }
    }

    private static func make(_ migrations: [Migration]) async throws -> EnrichmentDatabase {
        var configuration = try baseConfiguration
        let schema = "e_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        let admin = try await PostgresConnection.connect(configuration)
        try await admin.executeScript("CREATE SCHEMA \(schema)")
        await admin.close()
        configuration.searchPath = String(schema)
        configuration.maxConnections = 4
        let pool = PostgresPool(configuration: configuration)
        try await Migrator(migrations: migrations).migrate(pool)
        return EnrichmentDatabase(schema: String(schema), pool: pool)
    }

    /// Runs `body` with a fresh schema migrated with `migrations` (default: all of them), then drops it, after a return
    /// and after a throw alike (then rethrows).
    static func with<T>(
        migrations: [Migration] = VigilSchema.migrations, _ body: (EnrichmentDatabase) async throws -> T
    ) async throws -> T {
        try await withCleanup(make(migrations), cleanup: { await $0.drop() }, body)
    }

    private func drop() async {
        await pool.close()
        if let admin = try? await PostgresConnection.connect(try EnrichmentDatabase.baseConfiguration) {
            try? await admin.executeScript("DROP SCHEMA IF EXISTS \(schema) CASCADE")
            await admin.close()
        }
    }

    func count(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> Int {
        try await pool.query(sql, parameters)[0].decode(Int.self, at: 0)
    }
}

struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The shared public data (`../shared/data` beside the repository); a test that needs it fails when it is missing.
enum SharedData {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    static func files(_ folder: String) throws -> [String] {
        let directory = root.appendingPathComponent(folder)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            throw SetupError("shared data missing: \(directory.path)")
        }
        let files = names.filter { $0.hasSuffix(".json") }.sorted().map { directory.appendingPathComponent($0).path }
        guard !files.isEmpty else { throw SetupError("no .json files in \(directory.path)") }
        return files
    }

    /// The Stratus and Invictus CloudTrail files.
    static func cloudTrailFiles() throws -> [String] {
        try files("cloudtrail/stratus-red-team") + files("cloudtrail/invictus-ir")
    }

    /// Every record of `files`, read with Foundation's parser (an oracle independent of Vigil's reader).
    static func records(_ files: [String]) throws -> [[String: Any]] {
        var records: [[String: Any]] = []
        for file in files {
            let value = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file)))
            if let list = value as? [[String: Any]] {
                records += list
            } else if let object = value as? [String: Any], let list = object["Records"] as? [[String: Any]] {
                records += list
            }
        }
        return records
    }
}

/// A temporary folder removed when the value is dropped by `remove()`.
struct ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-enrich-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
