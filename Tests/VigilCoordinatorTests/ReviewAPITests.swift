import Foundation
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import VigilCoordinator
import VigilCore
import VigilPostgres
import VigilTestSupport

@Suite("Review API")
struct ReviewAPITests {
    @Test("the review scope is required; list, detail and every action over HTTP; stale versions get 409")
    func reviewCycle() async throws {
        try await CoordinatorHarness.with { harness in
            let reviewToken = try await TokenStore(pool: harness.pool).create(name: "ana", scopes: [.review])
            try await harness.coordinator.application().test(.router) { client in
                let id = try await harness.seedEscalation(client, externalID: "e-1")
                let other = try await harness.seedEscalation(client, externalID: "e-2", principal: "arn:aws:iam::123456789012:role/bob")
                let review = harness.headers(token: reviewToken, contentType: "application/json")

                // Scope: a read token is forbidden, no token is unauthorised.
                #expect(
                    try await client.execute(uri: "/v1/escalations", method: .get, headers: harness.headers(token: harness.readToken)).status
                        == .forbidden
                )
                #expect(try await client.execute(uri: "/v1/escalations", method: .get, headers: harness.headers(token: nil)).status == .unauthorized)

                let list = try json(try await client.execute(uri: "/v1/escalations?limit=1", method: .get, headers: review))
                #expect(list["items"]?.arrayValue?.count == 1)
                let cursor = try #require(list["next_cursor"]?.stringValue)
                let second = try json(try await client.execute(uri: "/v1/escalations?limit=1&cursor=\(cursor)", method: .get, headers: review))
                #expect(second["items"]?.arrayValue?.count == 1)
                #expect(second["next_cursor"] == nil)
                #expect(
                    Set([list, second].compactMap { $0["items"]?.arrayValue?.first?["id"]?.stringValue }) == [
                        id.uuidString.lowercased(), other.uuidString.lowercased(),
                    ]
                )
                let bob = try json(
                    try await client.execute(
                        uri: "/v1/escalations?principal=arn:aws:iam::123456789012:role/bob",
                        method: .get,
                        headers: review
                    )
                )
                #expect(bob["items"]?.arrayValue?.map { $0["id"] } == [.string(other.uuidString.lowercased())])
                let badState = try await client.execute(uri: "/v1/escalations?state=pending", method: .get, headers: review)
                #expect(badState.status == .badRequest)
                #expect(try json(badState)["field"] == "state")

                let detail = try json(try await client.execute(uri: "/v1/escalations/\(id)", method: .get, headers: review))
                #expect(detail["alert"]?["payload"]?["eventName"] == "CreateRole")
                #expect(detail["verdict"]?["triage"]?["rule_hits"]?.arrayValue?.first?["author"] == "Vigil SOC <soc@example.com>")
                #expect(detail["verdict"]?["triage"]?["ai"]?["tool_calls"]?.arrayValue?.first?["name"] == "get_cloudtrail_events")
                #expect(detail["verdict"]?["evidence"]?.arrayValue?.first?["id"] == "ct:1")
                #expect(detail["verdict"]?["guardrails"] == ["privileged_principal"])
                #expect(detail["review"]?["version"] == 0)

                func act(_ action: String, _ body: String) async throws -> TestResponse {
                    try await client.execute(uri: "/v1/escalations/\(id)/\(action)", method: .post, headers: review, body: ByteBuffer(string: body))
                }
                #expect(try await act("acknowledge", #"{"version":0}"#).status == .ok)
                #expect(try await act("assign", #"{"version":1,"assignee":"bo"}"#).status == .ok)
                let approve = try await act("approve", #"{"version":2}"#)
                #expect(try json(approve)["review"]?["approved_action"] == "Disable alice's access key AKIA…")
                #expect(try json(approve)["review"]?["approved_by"] == "ana")

                // Stale version: 409 naming the current one; nothing changes.
                let stale = try await act("close", #"{"version":1,"reason":"dup"}"#)
                #expect(stale.status == .conflict)
                #expect(try json(stale)["error"] == "version_conflict")
                #expect(try json(stale)["current_version"] == 3)

                let noReason = try await act("close", #"{"version":3,"reason":"  "}"#)
                #expect(noReason.status == .badRequest)
                #expect(try json(noReason)["field"] == "reason")
                #expect(try await act("close", #"{"version":3}"#).status == .badRequest)
                #expect(try await act("close", #"{"reason":"x"}"#).status == .badRequest)
                #expect(try await act("close", #"{"version":3,"reason":"contained by IR ticket 42"}"#).status == .ok)
                #expect(try await act("acknowledge", #"{"version":4}"#).status == .unprocessableContent)
                #expect(try await act("reopen", #"{"version":4}"#).status == .ok)
                #expect(try await act("explode", #"{"version":5}"#).status == .badRequest)

                let after = try json(try await client.execute(uri: "/v1/escalations/\(id)", method: .get, headers: review))
                #expect(after["review"]?["state"] == "open")
                #expect(after["audit"]?.arrayValue?.map { $0["action"] } == ["acknowledge", "assign", "approve", "close", "reopen"])
                #expect(after["audit"]?.arrayValue?.allSatisfy { $0["actor"] == "ana" } == true)
                #expect(after["audit"]?.arrayValue?[3]["detail"]?["reason"] == "contained by IR ticket 42")

                #expect(try await client.execute(uri: "/v1/escalations/\(UUID())", method: .get, headers: review).status == .notFound)
            }
        }
    }
}

@Suite("Coordinator under the vigil_coordinator role")
struct CoordinatorRoleTests {
    @Test("logged in with only the vigil_coordinator grants, the coordinator ingests, verifies tokens and works escalations")
    func coordinatorRoleSuffices() async throws {
        try await CoordinatorHarness.with { harness in
            let login = "vigil_coordinator_\(harness.schema)"
            // The login role is the cluster's, not the schema's: dropped before the schema, on every path.
            try await withCleanup(login, cleanup: { _ = try? await harness.pool.query("DROP ROLE IF EXISTS \($0)") }) { login in
                try await harness.pool.query("CREATE ROLE \(login) LOGIN IN ROLE vigil_coordinator")
                let url = try #require(ProcessInfo.processInfo.environment["DATABASE_URL"])
                let at = try #require(url.range(of: "postgres@"))
                let configuration = PostgresConfiguration(
                    connectionString: url.replacingCharacters(in: at, with: "\(login)@"), maxConnections: 4, searchPath: harness.schema)
                try await withCleanup(PostgresPool(configuration: configuration), cleanup: { await $0.close() }) { pool in
                    let coordinator = try Coordinator(
                        configuration: CoordinatorConfiguration(port: 0),
                        pool: pool,
                        router: try await Coordinator.shardRouter(pool),
                        logger: Logger(label: "test")
                    )
                    let reviewToken = try await TokenStore(pool: harness.pool).create(name: "ana", scopes: [.review])
                    try await coordinator.application().test(.router) { client in
                        let ingested = try await client.execute(
                            uri: "/v1/alerts",
                            method: .post,
                            headers: harness.headers(token: harness.ingestToken),
                            body: ByteBuffer(string: alertLine("r-1"))
                        )
                        #expect(try json(ingested)["accepted"] == 1)
                        let id = try #require(try json(ingested)["results"]?.arrayValue?.first?["id"]?.stringValue)
                        try await harness.pool.query(CoordinatorHarness.escalate, [UUID(uuidString: id), "r", "[]", "Disable the key", "{}"])
                        let review = harness.headers(token: reviewToken, contentType: "application/json")
                        let listed = try await client.execute(uri: "/v1/escalations", method: .get, headers: review)
                        #expect(try json(listed)["items"]?.arrayValue?.count == 1)
                        let approved = try await client.execute(
                            uri: "/v1/escalations/\(id)/approve",
                            method: .post,
                            headers: review,
                            body: ByteBuffer(string: #"{"version":0}"#)
                        )
                        #expect(approved.status == .ok)
                        let read = try await client.execute(uri: "/v1/alerts/\(id)", method: .get, headers: harness.headers(token: harness.readToken))
                        #expect(read.status == .ok)
                    }
                }
            }
        }
    }
}
