import Foundation
import VigilCore
import VigilPostgres

/// `get_vpc_flow_logs(source_ip?, destination_ip?, hours_back = 1)`: traffic of an address in the window, summed per
/// peer, port and protocol, each peer flagged when it was never seen with this address in the baseline before.
struct GetVPCFlowLogsTool: InvestigationTool {
    static let definition = ToolDefinition(
        name: "get_vpc_flow_logs",
        description: "VPC flow records involving an address in the last hours_back hours (give source_ip, destination_ip or both): "
            + "bytes and packets per peer, port and protocol, flagging peers not seen in the baseline.",
        properties: [
            ("source_ip", ToolDefinition.property("string", "Source address of the flows (IPv4 or IPv6).")),
            ("destination_ip", ToolDefinition.property("string", "Destination address of the flows (IPv4 or IPv6).")),
            ("hours_back", ToolDefinition.property("integer", "How many hours back from now to look (1–2160).", default: 1)),
        ],
        required: []
    )

    func run(_ arguments: ToolArguments, context: ToolContext) async throws -> JSONValue {
        let source = try arguments.ipAddress("source_ip")
        let destination = try arguments.ipAddress("destination_ip")
        let hours = try arguments.integer("hours_back", default: 1, range: 1...2160)
        guard source != nil || destination != nil else {
            throw ToolError(.invalidArgument, "give source_ip or destination_ip (or both)", argument: "source_ip")
        }
        let until = context.now()
        let since = until.addingTimeInterval(-Double(hours) * 3600)
        let baselineStart = since.addingTimeInterval(-Double(context.baselineDays) * 86_400)
        // The address asked about and the column holding its peers.
        let (subjectColumn, peerColumn) = source != nil ? ("src_addr", "dst_addr") : ("dst_addr", "src_addr")
        var conditions = ["\(subjectColumn) = $1::inet"]
        var parameters: [any PostgresEncodable] = [(source ?? destination!).description]
        if let source, let destination {
            parameters.append(destination.description)
            conditions.append("dst_addr = $2::inet")
            _ = source
        }
        let base = conditions.joined(separator: " AND ")
        let windowParameters = parameters + [since, until]
        let n = parameters.count
        let (flows, seen) = try await context.pool.withConnection { connection in
            let flows = try await connection.query(
                """
                SELECT host(\(peerColumn)) AS peer, dst_port, protocol, sum(bytes)::bigint AS bytes, sum(packets)::bigint AS packets,
                       count(*) AS records, count(*) FILTER (WHERE action = 'REJECT') AS rejected,
                       min(start_time) AS first_seen, max(coalesce(end_time, start_time)) AS last_seen, count(*) OVER () AS groups
                FROM vpc_flow WHERE \(base) AND start_time > $\(n + 1) AND start_time <= $\(n + 2) AND \(peerColumn) IS NOT NULL
                GROUP BY 1, 2, 3 ORDER BY bytes DESC NULLS LAST, records DESC, 1, 2, 3 LIMIT \(context.evidenceLimit)
                """,
                windowParameters
            )
            let peers = try flows.map { try $0.decode(String.self, column: "peer") }
            let seen = try await connection.query(
                """
                SELECT DISTINCT host(\(peerColumn)) AS peer FROM vpc_flow
                WHERE \(base) AND start_time > $\(n + 1) AND start_time <= $\(n + 2) AND \(peerColumn) = ANY($\(n + 3)::inet[])
                """,
                parameters + [baselineStart, since, "{" + Set(peers).sorted().joined(separator: ",") + "}"]
            )
            return (flows, seen)
        }
        let knownPeers = Set(try seen.map { try $0.decode(String.self, column: "peer") })
        var totalBytes: Int64 = 0
        var newPeers = Set<String>()
        let evidence: [JSONValue] = try flows.map { row in
            let peer = try row.decode(String.self, column: "peer")
            let port = try row.decode(Int?.self, column: "dst_port")
            let proto = try row.decode(Int?.self, column: "protocol")
            let bytes = try row.decode(Int64?.self, column: "bytes") ?? 0
            totalBytes += bytes
            let isNew = !knownPeers.contains(peer)
            if isNew { newPeers.insert(peer) }
            let key = "\(parameters.map { "\($0)" }.joined(separator: ">"))|\(peer)|\(port ?? -1)|\(proto ?? -1)|\(RFC3339.format(since))"
            return [
                "evidence_id": .string("flow:" + String(XXHash64.hash(key), radix: 16)),
                "peer": .string(peer),
                "direction": .string(source != nil ? "outbound" : "inbound"),
                "dst_port": port.map { .int(Int64($0)) } ?? .null,
                "protocol": proto.map { .int(Int64($0)) } ?? .null,
                "bytes": .int(bytes),
                "packets": .int(try row.decode(Int64?.self, column: "packets") ?? 0),
                "records": .count(try row.decode(Int.self, column: "records")),
                "rejected_records": .count(try row.decode(Int.self, column: "rejected")),
                "first_seen": .time(try row.decode(Date.self, column: "first_seen")),
                "last_seen": .time(try row.decode(Date.self, column: "last_seen")),
                "new_peer": .bool(isNew),
            ]
        }
        let groups = try flows.first.map { try $0.decode(Int.self, column: "groups") } ?? 0
        return [
            "source_ip": .text(source?.description),
            "destination_ip": .text(destination?.description),
            "window": ["from": .time(since), "to": .time(until), "hours_back": .count(hours)],
            "baseline": ["from": .time(baselineStart), "to": .time(since)],
            "summary": [
                "peer_port_groups": .count(groups),
                "bytes_in_listed_groups": .int(totalBytes),
                "new_peers": .array(newPeers.sorted().map { .string($0) }),
            ],
            "evidence": .array(evidence),
            "evidence_omitted": .count(max(0, groups - evidence.count)),
        ]
    }
}
