import Foundation
import Hummingbird
import Logging
import VigilCore
import VigilReview

/// The review API (scope `review`, or `admin`):
///
/// - `GET /v1/escalations?state=open,acknowledged&severity=high,critical&principal=…&min_age=S&max_age=S&limit=N&cursor=C`:
///   a page of escalations, newest first, and `next_cursor` (absent on the last page).
/// - `GET /v1/escalations/{id}`: one escalation with the alert, verdict, evidence, triage record, review state and audit trail.
/// - `POST /v1/escalations/{id}/{acknowledge|assign|approve|close|reopen}` with `{"version": N, "assignee": "…", "reason": "…"}`:
///   performs the action if the review is still at version N (409 `version_conflict` with `current_version` otherwise).
struct ReviewAPI: Sendable {
    let store: ReviewStore
    let retryAfterSeconds: Int
    let logger: Logger

    func register(on router: Router<BasicRequestContext>, authorizer: Authorizer) {
        router.get("/v1/escalations") { request, _ in
            switch await authorizer.check(request, scope: .review) {
            case .denied(let response): return response
            case .allowed: return await list(Self.query(request))
            }
        }
        router.get("/v1/escalations/{id}") { request, context in
            switch await authorizer.check(request, scope: .review) {
            case .denied(let response): return response
            case .allowed: return await detail(id: context.parameters.get("id") ?? "")
            }
        }
        router.post("/v1/escalations/{id}/{action}") { request, context in
            switch await authorizer.check(request, scope: .review) {
            case .denied(let response): return response
            case .allowed(let token):
                return await act(
                    request,
                    id: context.parameters.get("id") ?? "",
                    action: context.parameters.get("action") ?? "",
                    actor: ReviewActor(name: token.name, tokenID: token.id)
                )
            }
        }
    }

    /// The first value of each query parameter.
    static func query(_ request: Request) -> [String: String] {
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters where values[String(key)] == nil { values[String(key)] = String(value) }
        return values
    }

    /// The filter the query parameters describe.
    ///
    /// - Throws: ``ReviewError/Code/invalidArgument`` naming the parameter at fault (never echoing its value).
    static func filter(_ query: [String: String]) throws(ReviewError) -> EscalationFilter {
        func list(_ name: String) -> [String] {
            (query[name] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        }
        func integer(_ name: String) throws(ReviewError) -> Int64? {
            guard let text = query[name], !text.isEmpty else { return nil }
            guard let value = Int64(text) else { throw ReviewError(.invalidArgument, "'\(name)' must be an integer", field: name) }
            return value
        }
        var filter = EscalationFilter()
        for name in list("state") {
            guard let state = EscalationState(rawValue: name) else {
                throw ReviewError(.invalidArgument, "'state' must be open, acknowledged or closed", field: "state")
            }
            filter.states.insert(state)
        }
        filter.severities = Set(list("severity"))
        if let principal = query["principal"], !principal.isEmpty { filter.principal = principal }
        filter.minAgeSeconds = try integer("min_age")
        filter.maxAgeSeconds = try integer("max_age")
        if let limit = try integer("limit") { filter.limit = Int(clamping: limit) }
        if let cursor = query["cursor"], !cursor.isEmpty { filter.cursor = try EscalationCursor(text: cursor) }
        try filter.validate()
        return filter
    }

    func list(_ query: [String: String]) async -> Response {
        do {
            let page = try await store.list(try Self.filter(query))
            var body: JSONObject = ["items": .array(page.items.map(\.json))]
            if let next = page.nextCursor { body["next_cursor"] = .string(next.text) }
            return JSONResponse.make(.ok, .object(body))
        } catch {
            return response(for: error)
        }
    }

    func detail(id: String) async -> Response {
        guard let uuid = UUID(uuidString: id) else {
            return JSONResponse.error(.badRequest, "invalid_id", "the escalation id is not a UUID", extra: ["field": "id"])
        }
        do {
            return JSONResponse.make(.ok, try await store.detail(uuid).json)
        } catch {
            return response(for: error)
        }
    }

    func act(_ request: Request, id: String, action name: String, actor: ReviewActor) async -> Response {
        guard let uuid = UUID(uuidString: id) else {
            return JSONResponse.error(.badRequest, "invalid_id", "the escalation id is not a UUID", extra: ["field": "id"])
        }
        var request = request
        let body: JSONValue
        do {
            let buffer = try await request.collectBody(upTo: 64 << 10)
            body = buffer.readableBytes == 0 ? .object([:]) : try JSONParser().parse(buffer.readableBytesView)
        } catch {
            return JSONResponse.error(.badRequest, "malformed_body", "the body is not a JSON object of at most 64 KiB")
        }
        guard case .int(let version) = body["version"] ?? .null else {
            return JSONResponse.error(.badRequest, "invalid_argument", "'version' (an integer) is required", extra: ["field": "version"])
        }
        do {
            let action = try ReviewAction.parse(name: name, assignee: body["assignee"]?.stringValue, reason: body["reason"]?.stringValue)
            let review = try await store.perform(action, on: uuid, expectedVersion: version, actor: actor)
            logger.info("review action", metadata: ["alert_id": "\(uuid)", "action": "\(action.name)", "actor": "\(actor.name)"])
            return JSONResponse.make(.ok, ["id": .string(uuid.uuidString.lowercased()), "review": review.json])
        } catch {
            return response(for: error)
        }
    }

    /// The HTTP answer for a failed review call: 400/404/409/422 for ``ReviewError``s, 503 for the database.
    func response(for error: any Error) -> Response {
        guard let error = error as? ReviewError else {
            logger.error("review request failed", metadata: ["error": "\(error)"])
            return JSONResponse.unavailable(retryAfter: retryAfterSeconds, reason: "the database is unavailable")
        }
        var extra: JSONObject = [:]
        if let field = error.field { extra["field"] = .string(field) }
        if let version = error.currentVersion { extra["current_version"] = .int(version) }
        return JSONResponse.error(Self.status(error.code), error.code.description, error.message, extra: extra)
    }

    static func status(_ code: ReviewError.Code) -> HTTPResponse.Status {
        switch code {
        case .notFound: .notFound
        case .versionConflict: .conflict
        case .invalidTransition: .unprocessableContent
        default: .badRequest
        }
    }
}
