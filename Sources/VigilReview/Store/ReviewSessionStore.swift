import Crypto
import Foundation
import VigilPostgres

/// Review-console sessions in `review_session`: opened with a bearer token, held by an HTTP-only cookie.
///
/// The cookie value is 256 random bits; only its SHA-256 is stored. A session ends at its expiry, at sign-out,
/// or as soon as its token is revoked (every look-up joins the token).
public struct ReviewSessionStore: Sendable {
    public let pool: PostgresPool
    /// How long a session lasts after sign-in.
    public let lifetime: Duration

    public init(pool: PostgresPool, lifetime: Duration = .seconds(8 * 3600)) {
        self.pool = pool
        self.lifetime = lifetime
    }

    /// A live session: who it acts as, the scopes of its token, and the CSRF token its forms must carry.
    public struct Session: Sendable, Hashable {
        public var tokenID: UUID
        public var tokenName: String
        public var scopes: [String]
        public var csrf: String
        public var expiresAt: Date
    }

    static let insert = """
        INSERT INTO review_session (id_sha256, token_id, csrf, expires_at)
        VALUES ($1, $2, $3, now() + $4::bigint * interval '1 second')
        RETURNING expires_at
        """
    static let lookup = """
        SELECT s.token_id, t.name, t.scopes, s.csrf, s.expires_at
        FROM review_session s JOIN api_token t ON t.id = s.token_id
        WHERE s.id_sha256 = $1 AND s.expires_at > now() AND t.revoked_at IS NULL
        """
    static let delete = "DELETE FROM review_session WHERE id_sha256 = $1 OR expires_at < now() - interval '1 day'"

    /// Opens a session for token `tokenID`; returns the cookie value (shown once) and the session.
    public func open(tokenID: UUID, tokenName: String, scopes: [String]) async throws -> (cookie: String, session: Session) {
        let cookie = Self.randomToken()
        let csrf = Self.randomToken()
        let rows = try await pool.query(Self.insert, [Self.hash(cookie), tokenID, csrf, lifetime.components.seconds])
        let expiresAt = try rows[0].decode(Date.self, column: "expires_at")
        return (cookie, Session(tokenID: tokenID, tokenName: tokenName, scopes: scopes, csrf: csrf, expiresAt: expiresAt))
    }

    /// The live session whose cookie is `cookie`, or nil (unknown, expired, or its token revoked).
    public func session(cookie: String) async throws -> Session? {
        guard let row = try await pool.query(Self.lookup, [Self.hash(cookie)]).first else { return nil }
        return Session(
            tokenID: try row.decode(UUID.self, column: "token_id"),
            tokenName: try row.decode(String.self, column: "name"),
            scopes: try row.decode([String].self, column: "scopes"),
            csrf: try row.decode(String.self, column: "csrf"),
            expiresAt: try row.decode(Date.self, column: "expires_at")
        )
    }

    /// Ends the session whose cookie is `cookie` (and sweeps sessions expired for a day).
    public func close(cookie: String) async throws {
        try await pool.query(Self.delete, [Self.hash(cookie)])
    }

    /// 256 random bits as base64url.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Compares two secrets in time independent of where they differ.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
