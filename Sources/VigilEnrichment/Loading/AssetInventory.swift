import Foundation
import VigilPostgres
import Yams

/// The operator's assets file: which principals are privileged or known-good automation, and which resources are
/// production databases or secrets stores. Patterns are ARNs where `*` matches any run of characters.
///
/// ```yaml
/// privileged_principals: ["arn:aws:iam::*:role/Admin*"]
/// production_databases: ["arn:aws:rds:*:*:db:prod-*"]
/// secrets_stores: ["arn:aws:secretsmanager:*"]
/// automation_principals: ["arn:aws:iam::*:role/ci-deploy"]
/// ```
public struct AssetInventory: Sendable, Hashable {
    /// The YAML key of each kind and its `asset_pattern.kind`.
    public static let kinds: [(yaml: String, kind: String)] = [
        ("privileged_principals", "privileged_principal"), ("production_databases", "production_database"),
        ("secrets_stores", "secrets_store"), ("automation_principals", "automation_principal"),
    ]

    /// Patterns by `asset_pattern.kind`.
    public var patterns: [String: [String]]

    public init(patterns: [String: [String]]) { self.patterns = patterns }

    /// Parses the YAML text; unknown keys and non-string patterns are errors, so a typo does not silently drop a guard.
    public init(yaml: String, file: String = "assets") throws(LoadError) {
        let node: Any?
        do { node = try Yams.load(yaml: yaml) } catch { throw LoadError(code: .invalidFile, message: "\(file): not valid YAML") }
        guard let mapping = node as? [String: Any] else {
            throw LoadError(code: .invalidFile, message: "\(file): not a mapping of kinds to patterns")
        }
        var patterns: [String: [String]] = [:]
        for (key, value) in mapping {
            guard let kind = Self.kinds.first(where: { $0.yaml == key })?.kind else {
                let expected = Self.kinds.map(\.yaml).joined(separator: ", ")
                throw LoadError(code: .invalidFile, message: "\(file): unknown key \(key); expected \(expected)")
            }
            guard let list = value as? [Any], list.allSatisfy({ $0 is String }) else {
                throw LoadError(code: .invalidFile, message: "\(file): \(key) must be a list of strings")
            }
            patterns[kind] = list.map { $0 as! String }
        }
        self.patterns = patterns
    }

    static func load(path: String) throws(LoadError) -> AssetInventory {
        try AssetInventory(yaml: String(decoding: try SourceFile.bytes(path), as: UTF8.self), file: path)
    }

    /// The kinds whose patterns match `arn`.
    public func kinds(of arn: String) -> [String] {
        patterns.keys.sorted().filter { kind in patterns[kind]!.contains { Self.matches(pattern: $0, arn) } }
    }

    /// `*`-glob match of the whole text.
    public static func matches(pattern: String, _ text: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return pattern == text }
        var rest = Substring(text)
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts.last!) && rest.count >= parts.last!.count
    }

    /// Replaces the stored patterns with these (one transaction).
    func store(in pool: PostgresPool) async throws -> LoadSummary {
        let rows = patterns.flatMap { kind, list in list.map { [kind, $0] } }
        try await pool.withTransaction { connection in
            try await connection.query("DELETE FROM asset_pattern")
            for row in rows {
                try await connection.query("INSERT INTO asset_pattern (kind, pattern) VALUES ($1, $2) ON CONFLICT DO NOTHING", row)
            }
        }
        var summary = LoadSummary()
        summary.read = rows.count
        summary.loaded = rows.count
        return summary
    }

    /// The stored patterns.
    public static func stored(in pool: PostgresPool) async throws -> AssetInventory {
        let result = try await pool.query("SELECT kind, pattern FROM asset_pattern ORDER BY kind, pattern")
        var patterns: [String: [String]] = [:]
        for row in result {
            patterns[try row.decode(String.self, column: "kind"), default: []].append(try row.decode(String.self, column: "pattern"))
        }
        return AssetInventory(patterns: patterns)
    }
}
