import Crypto
import Foundation
import VigilPostgres

/// Bearer tokens in `api_token`, kept as SHA-256 hashes: the token itself is shown once, at creation.
public struct TokenStore: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// A token's record, never its secret.
    public struct Token: Sendable, Hashable {
        public var id: UUID
        public var name: String
        public var scopes: Set<Scope>
        public var createdAt: Date
        public var revokedAt: Date?
    }

    static let insert = "INSERT INTO api_token (name, token_sha256, scopes) VALUES ($1, $2, $3) RETURNING id"
    static let lookup = "SELECT id, name, scopes, created_at, revoked_at FROM api_token WHERE token_sha256 = $1"
    static let revokeByName = "UPDATE api_token SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING id"
    static let list = "SELECT id, name, scopes, created_at, revoked_at FROM api_token ORDER BY created_at"

    /// SHA-256 of the token, as lowercase hex.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A new random token: `vgl_` and 43 base64url characters (256 bits).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return "vgl_" + text
    }

    /// Creates a token with `scopes` and returns it: the only time it can be read.
    ///
    /// - Throws: ``PostgresError`` (a unique violation when `name` is taken).
    public func create(name: String, scopes: Set<Scope>) async throws -> String {
        let token = Self.generate()
        try await pool.query(Self.insert, [name, Self.hash(token), scopes.map(\.rawValue).sorted()])
        return token
    }

    /// Revokes the token named `name`; returns whether one was active.
    public func revoke(name: String) async throws -> Bool {
        try await !pool.query(Self.revokeByName, [name]).isEmpty
    }

    /// Every token's record.
    public func all() async throws -> [Token] {
        try await pool.query(Self.list).map(Self.decode)
    }

    /// The active token whose hash matches `token`, or nil.
    public func verify(_ token: String) async throws -> Token? {
        guard let row = try await pool.query(Self.lookup, [Self.hash(token)]).first else { return nil }
        let record = try Self.decode(row)
        return record.revokedAt == nil ? record : nil
    }

    static func decode(_ row: PostgresRow) throws -> Token {
        Token(
            id: try row.decode(UUID.self, column: "id"),
            name: try row.decode(String.self, column: "name"),
            scopes: Set(try row.decode([String].self, column: "scopes").compactMap(Scope.init(rawValue:))),
            createdAt: try row.decode(Date.self, column: "created_at"),
            revokedAt: try row.decode(Date?.self, column: "revoked_at")
        )
    }
}
