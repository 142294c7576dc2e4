import Foundation
import HummingbirdTesting
import NIOCore
import Testing
import VigilCoordinator
import VigilCore
import VigilPostgres

@Suite("Coordinator ingest API")
struct IngestAPITests {
    @Test("a partial batch keeps the valid items; malformed lines are named; repeats are duplicates")
    func partialBatchAndIdempotency() async throws {
        try await CoordinatorHarness.with { harness in
            let body = [
                alertLine("a-1"),
                alertLine("a-2", severity: "apocalyptic"),
                "{not json",
                alertLine("a-3", principal: nil),
                alertLine("a-1"),
            ].joined(separator: "\n")
            let app = harness.coordinator.application()
            try await app.test(.router) { client in
                let first = try await client.execute(
                    uri: "/v1/alerts", method: .post, headers: harness.headers(token: harness.ingestToken), body: ByteBuffer(string: body)
                )
                #expect(first.status == .ok)
                let result = try json(first)
                #expect(result["accepted"] == 2)
                #expect(result["duplicates"] == 1)
                #expect(result["rejected"] == 2)
                let items = try #require(result["results"]?.arrayValue)
                #expect(items.map { $0["status"]?.stringValue } == ["accepted", "rejected", "rejected", "accepted", "duplicate"])
                #expect(items[1]["error"]?["field"] == "severity")
                #expect(items[2]["error"]?["line"] == 3)
                #expect(items[4]["id"] == items[0]["id"])
                // The rejected value is not echoed.
                #expect(!String(buffer: first.body).contains("apocalyptic"))

                // The same body again: everything already held comes back as duplicates with the same ids.
                let second = try await client.execute(
                    uri: "/v1/alerts", method: .post, headers: harness.headers(token: harness.ingestToken), body: ByteBuffer(string: body)
                )
                let again = try json(second)
                #expect(again["accepted"] == 0)
                #expect(again["duplicates"] == 3)
                #expect(again["results"]?.arrayValue?[0]["id"] == items[0]["id"])
                #expect(again["results"]?.arrayValue?[3]["id"] == items[3]["id"])
            }
            #expect(try await harness.count("alert") == 2)
            #expect(try await harness.count("triage_job") == 2)
            #expect(try await harness.count("alert_key") == 2)
        }
    }

    @Test("a malformed JSON array body is one 400 naming line and column, and stores nothing")
    func malformedArray() async throws {
        try await CoordinatorHarness.with { harness in
            try await harness.coordinator.application().test(.router) { client in
                let response = try await client.execute(
                    uri: "/v1/alerts", method: .post,
                    headers: harness.headers(token: harness.ingestToken, contentType: "application/json"),
                    body: ByteBuffer(string: "[\n" + alertLine("x-1") + ",\n" + alertLine("x-2") + "\n")
                )
                #expect(response.status == .badRequest)
                let error = try json(response)
                #expect(error["error"] == "malformed_body")
                #expect(error["line"] != nil)
            }
            #expect(try await harness.count("alert") == 0)
        }
    }

    @Test("an oversized body is refused with 413 and stores nothing")
    func oversizedBody() async throws {
        try await CoordinatorHarness.with({ $0.maxBodyBytes = 4096 }) { harness in
            let body = (0..<100).map { alertLine("big-\($0)") }.joined(separator: "\n")
            try await harness.coordinator.application().test(.router) { client in
                let response = try await client.execute(
                    uri: "/v1/alerts", method: .post, headers: harness.headers(token: harness.ingestToken), body: ByteBuffer(string: body)
                )
                #expect(response.status == .contentTooLarge)
                #expect(try json(response)["limit_bytes"] == 4096)
            }
            #expect(try await harness.count("alert") == 0)
        }
    }

    @Test("tokens: missing, wrong scope, revoked; bodies name the scope and never echo the token")
    func scopes() async throws {
        try await CoordinatorHarness.with { harness in
            let body = ByteBuffer(string: alertLine("s-1"))
            try await harness.coordinator.application().test(.router) { client in
                let missing = try await client.execute(uri: "/v1/alerts", method: .post, headers: harness.headers(token: nil), body: body)
                #expect(missing.status == .unauthorized)
                #expect(try json(missing)["required_scope"] == "ingest")

                let wrongScope = try await client.execute(
                    uri: "/v1/alerts", method: .post, headers: harness.headers(token: harness.readToken), body: body
                )
                #expect(wrongScope.status == .forbidden)
                #expect(try json(wrongScope)["missing_scope"] == "ingest")
                #expect(!String(buffer: wrongScope.body).contains(harness.readToken))

                let bogus = "vgl_not-a-real-token-but-secret-looking"
                let unknown = try await client.execute(uri: "/v1/alerts", method: .post, headers: harness.headers(token: bogus), body: body)
                #expect(unknown.status == .unauthorized)
                #expect(!String(buffer: unknown.body).contains(bogus))

                #expect(try await harness.coordinator.tokens.revoke(name: "siem"))
                let revoked = try await client.execute(
                    uri: "/v1/alerts", method: .post, headers: harness.headers(token: harness.ingestToken), body: body
                )
                #expect(revoked.status == .unauthorized)

                let health = try await client.execute(uri: "/healthz", method: .get)
                #expect(health.status == .ok)
            }
            // Only the hash is stored.
            let stored = try await harness.pool.query("SELECT token_sha256 FROM api_token WHERE name = 'siem'")[0]
                .decode(String.self, column: "token_sha256")
            #expect(stored == TokenStore.hash(harness.ingestToken))
            #expect(stored != harness.ingestToken)
            #expect(try await harness.count("alert") == 0)
        }
    }

    @Test("above the backlog high-water mark ingest answers 429 with Retry-After, and readiness says why")
    func backpressure() async throws {
        try await CoordinatorHarness.with({ $0.backlogHighWater = 5 }) { harness in
            try await harness.coordinator.application().test(.router) { client in
                let fill = (0..<10).map { alertLine("bp-\($0)") }.joined(separator: "\n")
                let first = try await client.execute(
                    uri: "/v1/alerts", method: .post, headers: harness.headers(token: harness.ingestToken), body: ByteBuffer(string: fill)
                )
                #expect(first.status == .ok)
                await harness.coordinator.backlog.measure()
                let refused = try await client.execute(
                    uri: "/v1/alerts", method: .post, headers: harness.headers(token: harness.ingestToken),
                    body: ByteBuffer(string: alertLine("bp-late"))
                )
                #expect(refused.status == .tooManyRequests)
                #expect(refused.headers[.retryAfter] != nil)
                let ready = try await client.execute(uri: "/readyz", method: .get)
                #expect(ready.status == .serviceUnavailable)
                #expect(String(buffer: ready.body).contains("backlog"))
            }
            #expect(try await harness.count("alert") == 10)
        }
    }

    @Test("alert status by id; alerts about one principal share a shard")
    func alertStatusAndSharding() async throws {
        try await CoordinatorHarness.with { harness in
            let body = (0..<20).map { alertLine("st-\($0)", principal: "arn:aws:iam::123456789012:user/\($0 % 2 == 0 ? "bob" : "carol")") }
            try await harness.coordinator.application().test(.router) { client in
                let response = try await client.execute(
                    uri: "/v1/alerts", method: .post, headers: harness.headers(token: harness.ingestToken),
                    body: ByteBuffer(string: body.joined(separator: "\n"))
                )
                let id = try #require(try json(response)["results"]?.arrayValue?.first?["id"]?.stringValue)
                let status = try await client.execute(uri: "/v1/alerts/\(id)", method: .get, headers: harness.headers(token: harness.readToken))
                #expect(status.status == .ok)
                let object = try json(status)
                #expect(object["state"] == "ready")
                #expect(object["external_id"] == "st-0")
                #expect(object["payload"] == nil, "the status answer must not carry the payload")
                let bad = try await client.execute(uri: "/v1/alerts/nope", method: .get, headers: harness.headers(token: harness.readToken))
                #expect(bad.status == .badRequest)
                let missing = try await client.execute(
                    uri: "/v1/alerts/\(UUID().uuidString)", method: .get, headers: harness.headers(token: harness.readToken)
                )
                #expect(missing.status == .notFound)
                let noRead = try await client.execute(uri: "/v1/alerts/\(id)", method: .get, headers: harness.headers(token: harness.ingestToken))
                #expect(noRead.status == .forbidden)
            }
            let shards = try await harness.pool.query("SELECT principal, array_agg(DISTINCT shard) AS shards FROM alert GROUP BY principal")
            #expect(shards.count == 2)
            let router = try #require(ShardRouter(shardCount: 16))
            for row in shards {
                let principal = try row.decode(String.self, column: "principal")
                let distinct = try row.decode([Int64].self, column: "shards")
                #expect(distinct.count == 1)
                #expect(distinct.first.map(Int.init) == router.shard(for: RoutingKey(kind: .principal, value: principal)))
            }
        }
    }

    @Test("concurrent requests with the same alerts store each once and agree on ids")
    func concurrentDuplicates() async throws {
        try await CoordinatorHarness.with { harness in
            let body = (0..<200).map { alertLine("cc-\($0)", principal: "arn:aws:iam::123456789012:user/u\($0 % 7)") }.joined(separator: "\n")
            let app = harness.coordinator.application()
            try await app.test(.router) { client in
                let answers = try await withThrowingTaskGroup(of: JSONValue.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            try json(try await client.execute(
                                uri: "/v1/alerts", method: .post, headers: harness.headers(token: harness.ingestToken), body: ByteBuffer(string: body)
                            ))
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let accepted = answers.compactMap { $0["accepted"]?.intValue }.reduce(0, +)
                #expect(accepted == 200)
                let idLists = answers.map { $0["results"]?.arrayValue?.map { $0["id"]?.stringValue } ?? [] }
                #expect(Set(idLists.map { $0.description }).count == 1, "all four answers must name the same ids")
            }
            #expect(try await harness.count("alert") == 200)
            #expect(try await harness.count("triage_job") == 200)
        }
    }
}
