import Foundation
import VigilCore
import VigilPostgres

/// `lookup_ip_reputation(ip_address)`: the unexpired intel entries whose network contains the address (most
/// specific first), and which principals' CloudTrail calls came from it before.
struct LookupIPReputationTool: InvestigationTool {
    static let definition = ToolDefinition(
        name: "lookup_ip_reputation",
        description: "Threat intelligence for an address: matching feed entries (feed, network, score) and the principals "
            + "whose CloudTrail calls came from it before (first/last seen).",
        properties: [("ip_address", ToolDefinition.property("string", "IPv4 or IPv6 address."))],
        required: ["ip_address"]
    )

    func run(_ arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        guard let address = try arguments.ipAddress("ip_address") else { throw ToolError.invalid("ip_address", "is required") }
        let now = context.now()
        // An IPv4-mapped IPv6 address is the IPv4 host: match both forms.
        let forms = Set([address.description, address.unmapped.description, address.v4Mapped.description]).sorted()
        let (matches, principals) = try await context.pool.withConnection { connection in
            let matches = try await connection.query(
                """
                SELECT feed, network::text AS network, score, source, first_seen, last_seen, expires_at, count(*) OVER () AS total
                FROM intel_indicator
                WHERE (network >>= $1::inet OR network >>= $2::inet OR network >>= $3::inet) AND (expires_at IS NULL OR expires_at > $4)
                ORDER BY masklen(network) DESC, score DESC NULLS LAST, feed LIMIT \(context.evidenceLimit)
                """,
                [forms[0], forms[forms.count > 1 ? 1 : 0], forms[forms.count - 1], now]
            )
            let principals = try await connection.query(
                AddressActivity.principalsSeen(limit: context.topLimit + 1), AddressActivity.principalsSeenParameters(addresses: forms, now: now))
            return (matches, principals)
        }
        let total = try matches.first.map { try $0.decode(Int.self, column: "total") } ?? 0
        var maxScore: Double?
        let evidence: [JSONValue] = try matches.map { row in
            let feed = try row.decode(String.self, column: "feed")
            let network = try row.decode(String.self, column: "network")
            let score = try row.decode(Double?.self, column: "score")
            if let score { maxScore = max(maxScore ?? score, score) }
            return [
                "evidence_id": .string("intel:\(feed):\(network)"),
                "feed": .string(feed),
                "network": .string(network),
                "score": score.map { .double($0) } ?? .null,
                "source": .text(try row.decode(String?.self, column: "source")),
                "first_seen": .time(try row.decode(Date?.self, column: "first_seen")),
                "last_seen": .time(try row.decode(Date?.self, column: "last_seen")),
                "expires_at": .time(try row.decode(Date?.self, column: "expires_at")),
            ]
        }
        let seenBy: [JSONValue] = try principals.prefix(context.topLimit).map { row in
            [
                "principal_arn": .string(try row.decode(String.self, column: "principal")),
                "events": .count(try row.decode(Int.self, column: "n")),
                "first_seen": .time(try row.decode(Date.self, column: "first_seen")),
                "last_seen": .time(try row.decode(Date.self, column: "last_seen")),
            ]
        }
        return [
            "ip_address": .string(address.description),
            "summary": [
                "listed": .bool(total > 0),
                "matches": .count(total),
                "max_score": maxScore.map { .double($0) } ?? .null,
                "feeds": .array(Set(try matches.map { try $0.decode(String.self, column: "feed") }).sorted().map { .string($0) }),
                "private": .bool(address.isPrivate),
                "global": .bool(address.isGlobal),
                "seen_in_cloudtrail": .bool(!seenBy.isEmpty),
                "principals_seen_from_address": .array(seenBy),
                "principals_omitted": .bool(principals.count > context.topLimit),
            ],
            "evidence": .array(evidence),
            "evidence_omitted": .count(max(0, total - evidence.count)),
        ]
    }
}
