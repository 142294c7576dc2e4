import Foundation
import Hummingbird
import Logging
import Mustache
import NIOCore
import VigilCore
import VigilReview

/// The review console: server-rendered HTML at `/`, no JavaScript.
///
/// - Sign-in exchanges a token with the `review` (or `admin`) scope for a session: an HTTP-only,
///   `SameSite=Strict` cookie (`Secure` unless configured off for plain-HTTP development) naming a
///   server-side session in `review_session`. The token itself is never stored in the browser.
/// - Every form is a POST carrying a CSRF token, compared in constant time with the session's (the sign-in
///   form with a double-submit cookie); a mismatch is 403 and changes nothing.
/// - Every page is rendered with escaping templates (``ConsoleTemplates``) and sent with a strict
///   Content-Security-Policy (no script at all, styles only from `/console.css`), `nosniff`, no framing,
///   no referrer and `no-store`.
struct ReviewConsole: Sendable {
    let store: ReviewStore
    let sessions: ReviewSessionStore
    let tokens: TokenStore
    let library: MustacheLibrary
    let secureCookies: Bool
    let logger: Logger

    static let sessionCookie = "vigil_session"
    static let signinCookie = "vigil_signin"
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func register(on router: Router<BasicRequestContext>) {
        router.get("/console.css") { _, _ in
            var response = Self.secured(Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: ConsoleTemplates.stylesheet))))
            response.headers[.contentType] = "text/css; charset=utf-8"
            response.headers[.cacheControl] = "max-age=300"
            return response
        }
        router.get("/signin") { _, _ in signinPage(status: .ok, error: nil) }
        router.post("/signin") { request, _ in await signIn(request) }
        router.post("/signout") { request, _ in await signOut(request) }
        router.get("/") { request, _ in await withSession(request) { session in await queuePage(request, session: session) } }
        router.get("/escalations/{id}") { request, context in
            await withSession(request) { session in
                await detailPage(
                    id: context.parameters.get("id") ?? "",
                    session: session,
                    status: .ok,
                    error: nil,
                    notice: Self.notice(done: request.uri.queryParameters["done"])
                )
            }
        }
        router.post("/escalations/{id}/{action}") { request, context in
            await withSession(request) { session in
                await act(request, id: context.parameters.get("id") ?? "", action: context.parameters.get("action") ?? "", session: session)
            }
        }
    }

    // MARK: Sessions

    private func withSession(_ request: Request, _ body: (ReviewSessionStore.Session) async -> Response) async -> Response {
        guard let cookie = request.cookies[Self.sessionCookie]?.value, !cookie.isEmpty else { return Self.secured(.redirect(to: "/signin")) }
        let session: ReviewSessionStore.Session?
        do {
            session = try await sessions.session(cookie: cookie)
        } catch {
            logger.error("console session look-up failed", metadata: ["error": "\(error)"])
            return page("message", ["title": "The database is unavailable"], status: .serviceUnavailable)
        }
        guard let session, Self.mayReview(session.scopes) else { return Self.secured(.redirect(to: "/signin")) }
        return await body(session)
    }

    /// The confirmation after an action: only for a known action name, so the query string cannot put text on the page.
    static func notice(done: Substring?) -> String? {
        guard let done, ReviewAction.names.contains(String(done)) else { return nil }
        return "Done: \(done)."
    }

    static func mayReview(_ scopes: [String]) -> Bool {
        scopes.contains(Scope.review.rawValue) || scopes.contains(Scope.admin.rawValue)
    }

    private func signinPage(status: HTTPResponse.Status, error: String?) -> Response {
        let csrf = ReviewSessionStore.randomToken()
        var context: [String: Any] = ["title": "Sign in", "csrf": csrf]
        if let error { context["error"] = error }
        var response = page("signin", context, status: status)
        response.setCookie(cookie(Self.signinCookie, csrf, maxAge: 900))
        return response
    }

    private func signIn(_ request: Request) async -> Response {
        let form = await Self.form(request)
        guard let presented = form["csrf"], let expected = request.cookies[Self.signinCookie]?.value,
            ReviewSessionStore.constantTimeEqual(presented, expected)
        else {
            return signinPage(status: .forbidden, error: "The sign-in form expired. Please try again.")
        }
        let token: TokenStore.Token?
        do {
            token = try await tokens.verify(form["token"] ?? "")
        } catch {
            return page("message", ["title": "The database is unavailable"], status: .serviceUnavailable)
        }
        guard let token, token.scopes.contains(.review) || token.scopes.contains(.admin) else {
            logger.notice("console sign-in refused")
            return signinPage(status: .unauthorized, error: "That token is unknown, revoked, or lacks the review scope.")
        }
        do {
            let opened = try await sessions.open(tokenID: token.id, tokenName: token.name, scopes: token.scopes.map(\.rawValue))
            logger.info("console sign-in", metadata: ["actor": "\(token.name)"])
            var response = Self.secured(.redirect(to: "/"))
            response.setCookie(cookie(Self.sessionCookie, opened.cookie, maxAge: Int(sessions.lifetime.components.seconds)))
            response.setCookie(cookie(Self.signinCookie, "", maxAge: 0))
            return response
        } catch {
            return page("message", ["title": "The database is unavailable"], status: .serviceUnavailable)
        }
    }

    private func signOut(_ request: Request) async -> Response {
        let form = await Self.form(request)
        if let cookieValue = request.cookies[Self.sessionCookie]?.value, let session = try? await sessions.session(cookie: cookieValue) {
            guard let csrf = form["csrf"], ReviewSessionStore.constantTimeEqual(csrf, session.csrf) else { return forbidden() }
            try? await sessions.close(cookie: cookieValue)
        }
        var response = Self.secured(.redirect(to: "/signin"))
        response.setCookie(cookie(Self.sessionCookie, "", maxAge: 0))
        return response
    }

    private func cookie(_ name: String, _ value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secureCookies, httpOnly: true, sameSite: .strict)
    }

    // MARK: Pages

    private func queuePage(_ request: Request, session: ReviewSessionStore.Session) async -> Response {
        var query = ReviewAPI.query(request)
        if query["state"] == nil { query["state"] = "open,acknowledged" }
        let filter: EscalationFilter
        do {
            filter = try ReviewAPI.filter(query)
        } catch {
            return page("message", base(session, title: "Invalid filter: \(error.message)"), status: .badRequest)
        }
        let result: EscalationPage
        do {
            result = try await store.list(filter)
        } catch {
            logger.error("console queue failed", metadata: ["error": "\(error)"])
            return page("message", base(session, title: "The database is unavailable"), status: .serviceUnavailable)
        }
        var context = base(session, title: "Escalations")
        let currentState = query["state"] ?? ""
        context["tabs"] = [("open,acknowledged", "Open"), ("open", "Unacknowledged"), ("closed", "Closed"), ("open,acknowledged,closed", "All")]
            .map { value, label -> [String: Any] in
                ["href": "/?state=" + value, "label": label, "current": value == currentState]
            }
        let items: [[String: Any]] = result.items.map { item in
            Self.compact([
                "id": item.alertID.uuidString.lowercased(), "escalatedAt": RFC3339.format(item.escalatedAt), "severity": item.severity,
                "kind": item.kind, "principal": item.principal, "resource": item.resource, "state": item.review.state.rawValue,
                "assignee": item.review.assignee,
            ])
        }
        context["items"] = items
        context["items_any"] = !items.isEmpty
        if let next = result.nextCursor {
            context["next"] =
                "/?state=" + (currentState.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ","))) ?? "")
                + "&cursor=" + next.text
        }
        return page("queue", context, status: .ok)
    }

    private func detailPage(
        id: String,
        session: ReviewSessionStore.Session,
        status: HTTPResponse.Status,
        error: String?,
        notice: String?
    ) async -> Response {
        guard let uuid = UUID(uuidString: id) else {
            return page("message", base(session, title: "No such escalation"), status: .notFound)
        }
        let detail: EscalationDetail
        do {
            detail = try await store.detail(uuid)
        } catch let failure as ReviewError {
            return page("message", base(session, title: failure.code == .notFound ? "No such escalation" : failure.message), status: .notFound)
        } catch {
            logger.error("console detail failed", metadata: ["error": "\(error)"])
            return page("message", base(session, title: "The database is unavailable"), status: .serviceUnavailable)
        }
        var context = base(session, title: "Escalation")
        if let error { context["error"] = error }
        if let notice, error == nil { context["notice"] = notice }
        context.merge(Self.detailContext(detail)) { _, new in new }
        return page("detail", context, status: status)
    }

    /// The template values for one escalation: every field as display text (the template escapes it).
    static func detailContext(_ detail: EscalationDetail) -> [String: Any] {
        let summary = detail.summary
        let review = summary.review
        var context: [String: Any] = ["id": summary.alertID.uuidString.lowercased()]
        context["review"] = compact([
            "state": review.state.rawValue, "version": String(review.version), "assignee": review.assignee,
            "approvedAction": review.approvedAction, "approvedBy": review.approvedBy,
            "approvedAt": review.approvedAt.map(RFC3339.format), "closeReason": review.closeReason,
        ])
        context["canAct"] = review.state != .closed
        context["canReopen"] = review.state == .closed
        let alertFields: [(String, String?)] = [
            ("Source", summary.source), ("External id", detail.externalID), ("Kind", summary.kind), ("Severity", summary.severity),
            ("Principal", summary.principal), ("Resource", summary.resource), ("Account", detail.account), ("Source IP", detail.sourceIP),
            ("Occurred", RFC3339.format(summary.occurredAt)), ("Received", RFC3339.format(detail.receivedAt)),
            ("Escalated", RFC3339.format(summary.escalatedAt)),
        ]
        context["alertFields"] = alertFields.compactMap { name, value in value.map { ["name": name, "value": $0] } }
        var payload = ""
        detail.payload.write(to: &payload, style: .spaced)
        context["payload"] = payload
        context["verdict"] = compact([
            "decidedBy": summary.decidedBy, "confidence": summary.confidence.map { String(format: "%.2f", $0) },
            "rationale": detail.rationale, "recommendedAction": summary.recommendedAction.flatMap { $0.isEmpty ? nil : $0 },
            "guardrails": summary.guardrails, "flags": detail.flags,
        ])
        let hits: [[String: Any]] = (detail.triage["rule_hits"]?.arrayValue ?? []).map { hit in
            compact([
                "ruleID": hit["rule_id"]?.displayText, "title": hit["title"]?.displayText, "level": hit["level"]?.displayText,
                "author": hit["author"].flatMap { $0 == .null ? nil : $0.displayText } ?? "unknown",
            ])
        }
        context["ruleHits"] = hits
        context["ruleHits_any"] = !hits.isEmpty
        let evidence = detail.evidence.flattened(limit: 500).map { ["path": $0.path, "value": $0.value] }
        context["evidence"] = evidence
        context["evidence_any"] = detail.evidence.arrayValue.map { !$0.isEmpty } ?? true
        var sections: [[String: Any]] = []
        if case .object(let triage) = detail.triage {
            var scalars = JSONObject()
            for member in triage where member.key != "rule_hits" {
                switch member.value {
                case .object, .array: break
                default:
                    scalars[member.key] = member.value
                    continue
                }
                sections.append([
                    "name": member.key, "anchor": member.key.filter { $0.isLetter || $0.isNumber || $0 == "_" },
                    "entries": member.value.flattened(limit: 1000).map { ["path": $0.path, "value": $0.value] },
                ])
            }
            if !scalars.isEmpty {
                sections.insert(
                    [
                        "name": "summary", "anchor": "summary",
                        "entries": JSONValue.object(scalars).flattened().map { ["path": $0.path, "value": $0.value] },
                    ],
                    at: 0
                )
            }
        } else {
            sections.append([
                "name": "record", "anchor": "record", "entries": detail.triage.flattened().map { ["path": $0.path, "value": $0.value] },
            ])
        }
        context["triageSections"] = sections
        let audit: [[String: Any]] = detail.audit.reversed().map { record in
            var detailText = ""
            record.detail.write(to: &detailText, style: .compact)
            return [
                "at": RFC3339.format(record.at), "actor": record.actor, "action": record.action,
                "from": record.previous["state"]?.displayText ?? "", "to": record.new["state"]?.displayText ?? "",
                "detail": detailText == "{}" ? "" : detailText,
            ]
        }
        context["audit"] = audit
        context["audit_any"] = !audit.isEmpty
        return context
    }

    // MARK: Actions

    private func act(_ request: Request, id: String, action name: String, session: ReviewSessionStore.Session) async -> Response {
        let form = await Self.form(request)
        guard let csrf = form["csrf"], ReviewSessionStore.constantTimeEqual(csrf, session.csrf) else {
            logger.notice("console CSRF check failed", metadata: ["actor": "\(session.tokenName)"])
            return forbidden()
        }
        guard let uuid = UUID(uuidString: id) else { return page("message", base(session, title: "No such escalation"), status: .notFound) }
        guard let version = form["version"].flatMap({ Int64($0) }) else {
            return await detailPage(
                id: id,
                session: session,
                status: .badRequest,
                error: "The form lacked its version; reload the page.",
                notice: nil
            )
        }
        do {
            let action = try ReviewAction.parse(name: name, assignee: form["assignee"], reason: form["reason"])
            _ = try await store.perform(
                action,
                on: uuid,
                expectedVersion: version,
                actor: ReviewActor(name: session.tokenName, tokenID: session.tokenID)
            )
            logger.info("review action", metadata: ["alert_id": "\(uuid)", "action": "\(action.name)", "actor": "\(session.tokenName)"])
            return Self.secured(.redirect(to: "/escalations/\(uuid.uuidString.lowercased())?done=\(action.name)"))
        } catch let failure as ReviewError {
            let message =
                failure.code == .versionConflict
                ? "Someone else changed this escalation while you were deciding. Review the current state below and decide again."
                : failure.message
            return await detailPage(id: id, session: session, status: ReviewAPI.status(failure.code), error: message, notice: nil)
        } catch {
            logger.error("console action failed", metadata: ["error": "\(error)"])
            return page("message", base(session, title: "The database is unavailable; nothing was changed"), status: .serviceUnavailable)
        }
    }

    private func forbidden() -> Response {
        page("message", ["title": "Forbidden: the form's CSRF token did not match your session. Reload the page and try again."], status: .forbidden)
    }

    // MARK: Rendering

    private func base(_ session: ReviewSessionStore.Session, title: String) -> [String: Any] {
        ["title": title, "actor": session.tokenName, "csrf": session.csrf]
    }

    func page(_ template: String, _ context: [String: Any], status: HTTPResponse.Status) -> Response {
        let html = library.render(context, withTemplate: template) ?? "<!DOCTYPE html><title>Vigil</title><p>Template missing.</p>"
        var response = Response(status: status, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
        response.headers[.contentType] = "text/html; charset=utf-8"
        return Self.secured(response)
    }

    /// Adds the console's security headers.
    static func secured(_ response: Response) -> Response {
        var response = response
        response.headers[.contentSecurityPolicy] = contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPFields.Element.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPFields.Element.Name("Referrer-Policy")!] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }

    static func form(_ request: Request) async -> FormBody {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: 64 << 10) else { return FormBody("") }
        return FormBody(String(buffer: buffer))
    }

    /// The dictionary without its nil values (Mustache renders a missing key as nothing).
    static func compact(_ values: [String: Any?]) -> [String: Any] {
        values.compactMapValues { $0 }
    }
}

extension JSONValue {
    /// A scalar as plain text (strings unquoted), anything else as compact JSON.
    var displayText: String {
        switch self {
        case .string(let text): text
        case .null: ""
        default: jsonText
        }
    }
}
