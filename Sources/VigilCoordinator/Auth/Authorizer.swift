import Hummingbird
import VigilPostgres

/// Checks the bearer token of a request against the scope an endpoint needs.
struct Authorizer: Sendable {
    let tokens: TokenStore
    let retryAfterSeconds: Int

    enum Outcome {
        case allowed(TokenStore.Token)
        case denied(Response)
    }

    /// `allowed` when the request carries an active token with `scope` (or `admin`); otherwise the
    /// 401/403/503 answer to send, which names the missing scope and never echoes the token.
    func check(_ request: Request, scope: Scope) async -> Outcome {
        guard let header = request.headers[.authorization] else {
            return .denied(Self.unauthorized("missing bearer token", scope: scope))
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            return .denied(Self.unauthorized("the Authorization header is not 'Bearer <token>'", scope: scope))
        }
        let token: TokenStore.Token?
        do {
            token = try await tokens.verify(String(parts[1]))
        } catch {
            return .denied(JSONResponse.unavailable(retryAfter: retryAfterSeconds, reason: "the database is unavailable"))
        }
        guard let token else { return .denied(Self.unauthorized("invalid or revoked token", scope: scope)) }
        guard token.scopes.contains(scope) || token.scopes.contains(.admin) else {
            return .denied(JSONResponse.error(
                .forbidden, "forbidden", "the token lacks the '\(scope.rawValue)' scope",
                extra: ["missing_scope": .string(scope.rawValue)]
            ))
        }
        return .allowed(token)
    }

    static func unauthorized(_ reason: String, scope: Scope) -> Response {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer scope=\"\(scope.rawValue)\""
        return JSONResponse.error(.unauthorized, "unauthorized", reason, extra: ["required_scope": .string(scope.rawValue)], headers: headers)
    }
}
