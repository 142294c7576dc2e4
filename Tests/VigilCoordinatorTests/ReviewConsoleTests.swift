import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilCoordinator
import VigilCore
import VigilPostgres

/// The console in-process: sign-in, cookies, CSRF, escaping and headers. The browser test drives the same over a socket.
@Suite("Review console (in-process)")
struct ReviewConsoleTests {
    static func cookie(_ response: TestResponse, _ name: String) -> (value: String, attributes: String)? {
        for line in response.headers[values: .setCookie] where line.hasPrefix(name + "=") {
            let value = line.dropFirst(name.count + 1).prefix { $0 != ";" }
            return (String(value), line)
        }
        return nil
    }

    static func csrf(_ html: String) -> String? {
        guard let start = html.range(of: #"name="csrf" value=""#) else { return nil }
        return String(html[start.upperBound...].prefix { $0 != "\"" })
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return ByteBuffer(
            string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
        )
    }

    static func headers(cookies: [String: String]) -> HTTPFields {
        var fields = HTTPFields()
        fields[.contentType] = "application/x-www-form-urlencoded"
        if !cookies.isEmpty { fields[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        return fields
    }

    @Test("sign-in sets a Secure, HTTP-only, SameSite=Strict session; forms without the CSRF token change nothing; alert text is escaped")
    func consoleFlow() async throws {
        try await CoordinatorHarness.with { harness in
            let tokens = TokenStore(pool: harness.pool)
            let reviewToken = try await tokens.create(name: "ana", scopes: [.review])
            try await harness.coordinator.application().test(.router) { client in
                let hostile = #"<script>document.title='pwned'</script><img src=x onerror="alert(1)">"#
                let id = try await harness.seedEscalation(
                    client,
                    externalID: "x-1",
                    principal: hostile,
                    payload: #"{"note":"</pre><script>alert(2)</script>"}"#,
                    rationale: "<b>bold</b> & \"quoted\""
                )

                let anonymous = try await client.execute(uri: "/", method: .get)
                #expect(anonymous.status == .seeOther)
                #expect(anonymous.headers[.location] == "/signin")

                let signin = try await client.execute(uri: "/signin", method: .get)
                #expect(signin.status == .ok)
                #expect(signin.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect(signin.headers[.contentSecurityPolicy]?.contains("script-src") == false)
                let presession = try #require(Self.cookie(signin, "vigil_signin"))
                let signinCSRF = try #require(Self.csrf(String(buffer: signin.body)))
                #expect(presession.value == signinCSRF)

                // Wrong sign-in CSRF, wrong scope, unknown token: no session.
                let forged = try await client.execute(
                    uri: "/signin",
                    method: .post,
                    headers: Self.headers(cookies: ["vigil_signin": presession.value]),
                    body: Self.form(["csrf": "forged", "token": reviewToken])
                )
                #expect(forged.status == .forbidden)
                #expect(Self.cookie(forged, "vigil_session") == nil)
                for token in [harness.readToken, "vgl_unknown"] {
                    let refused = try await client.execute(
                        uri: "/signin",
                        method: .post,
                        headers: Self.headers(cookies: ["vigil_signin": presession.value]),
                        body: Self.form(["csrf": signinCSRF, "token": token])
                    )
                    #expect(refused.status == .unauthorized)
                    #expect(Self.cookie(refused, "vigil_session") == nil)
                    #expect(!String(buffer: refused.body).contains(token))
                }

                let signedIn = try await client.execute(
                    uri: "/signin",
                    method: .post,
                    headers: Self.headers(cookies: ["vigil_signin": presession.value]),
                    body: Self.form(["csrf": signinCSRF, "token": reviewToken])
                )
                #expect(signedIn.status == .seeOther)
                let session = try #require(Self.cookie(signedIn, "vigil_session"))
                #expect(session.attributes.contains("HttpOnly"))
                #expect(session.attributes.contains("SameSite=Strict"))
                #expect(session.attributes.contains("Secure"))
                #expect(!session.value.contains(reviewToken) && session.value.count >= 40)
                let cookies = ["vigil_session": session.value]

                let queue = try await client.execute(uri: "/", method: .get, headers: Self.headers(cookies: cookies))
                #expect(queue.status == .ok)
                let queueHTML = String(buffer: queue.body)
                #expect(queueHTML.contains("/escalations/\(id.uuidString.lowercased())"))
                #expect(!queueHTML.contains("<script>") && !queueHTML.contains("<img src=x"))
                #expect(queueHTML.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"))

                let detail = try await client.execute(
                    uri: "/escalations/\(id.uuidString.lowercased())",
                    method: .get,
                    headers: Self.headers(cookies: cookies)
                )
                let html = String(buffer: detail.body)
                #expect(detail.status == .ok)
                #expect(!html.contains("<script") && !html.contains("<img src=x") && !html.contains("<b>bold"))
                #expect(html.contains("&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"))
                #expect(html.contains("&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;"))
                #expect(html.contains("Vigil SOC &lt;soc@example.com&gt;"))  // rule author
                #expect(html.contains("get_cloudtrail_events"))  // tool call, generic triage section
                #expect(html.contains("0.0042"))  // cost
                #expect(detail.headers[.contentSecurityPolicy] != nil)
                let csrf = try #require(Self.csrf(html))

                // A POST without (or with a wrong) CSRF token is refused and changes nothing.
                for token in [nil, "nope"] as [String?] {
                    var fields = ["version": "0", "reason": "forged close"]
                    if let token { fields["csrf"] = token }
                    let forgedClose = try await client.execute(
                        uri: "/escalations/\(id)/close",
                        method: .post,
                        headers: Self.headers(cookies: cookies),
                        body: Self.form(fields)
                    )
                    #expect(forgedClose.status == .forbidden)
                }
                #expect(try await harness.count("escalation_review") == 0)

                // Closing without a reason is refused; with one, it closes and is audited.
                let blank = try await client.execute(
                    uri: "/escalations/\(id)/close",
                    method: .post,
                    headers: Self.headers(cookies: cookies),
                    body: Self.form(["csrf": csrf, "version": "0", "reason": " "])
                )
                #expect(blank.status == .badRequest)
                let closed = try await client.execute(
                    uri: "/escalations/\(id)/close",
                    method: .post,
                    headers: Self.headers(cookies: cookies),
                    body: Self.form(["csrf": csrf, "version": "0", "reason": "benign: approved change CHG-7"])
                )
                #expect(closed.status == .seeOther)
                let rows = try await harness.pool.query("SELECT state, close_reason, updated_by FROM escalation_review")
                #expect(try rows[0].decode(String.self, column: "state") == "closed")
                #expect(try rows[0].decode(String.self, column: "close_reason") == "benign: approved change CHG-7")
                #expect(try rows[0].decode(String.self, column: "updated_by") == "ana")

                // The same form again (stale version): 409 with a clear message, nothing lost.
                let stale = try await client.execute(
                    uri: "/escalations/\(id)/close",
                    method: .post,
                    headers: Self.headers(cookies: cookies),
                    body: Self.form(["csrf": csrf, "version": "0", "reason": "second analyst"])
                )
                #expect(stale.status == .conflict)
                #expect(String(buffer: stale.body).contains("Someone else changed this escalation"))
                #expect(try await harness.count("review_audit") == 1)

                // Revoking the token ends the session.
                #expect(try await tokens.revoke(name: "ana"))
                let afterRevoke = try await client.execute(uri: "/", method: .get, headers: Self.headers(cookies: cookies))
                #expect(afterRevoke.status == .seeOther)
            }
        }
    }
}
