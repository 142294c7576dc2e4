import ArgumentParser
import Foundation
import VigilCore
import VigilEnrichment
import VigilPostgres

/// `vigil bench tools`: latency of the five investigation tools over whatever is loaded, with arguments sampled from
/// the data (principals, resources, addresses), p50/p99 per tool; then `lookup_ip_reputation`'s principals statement
/// before migration 0015 against the one now, on the same samples.
struct ToolBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tools",
        abstract: "Latency p50/p99 of the investigation tools over the loaded data (build with -c release)."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Calls per tool.")
    var calls = 500

    @Option(help: "hours_back for the windowed tools.")
    var hoursBack = 24

    func run() async throws {
        let pool = PostgresPool(configuration: try await database.configuration())
        do {
            try await measure(on: pool)
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }

    private func measure(on pool: PostgresPool) async throws {
        let events = try await pool.query("SELECT count(*) AS n FROM cloudtrail_event")[0].decode(Int.self, column: "n")
        // Samples spread over the table (TABLESAMPLE): each call asks about one sampled event's principal, resource,
        // address and account, with "now" an hour after that event, as an alert about it would.
        let rows = try await pool.query(
            """
            SELECT principal_arn, resources[1] AS resource, host(source_ip) AS address, account_id, event_time
            FROM cloudtrail_event TABLESAMPLE SYSTEM (1)
            WHERE principal_arn IS NOT NULL AND source_ip IS NOT NULL AND account_id ~ '^[0-9]{12}$' LIMIT 1000
            """
        )
        struct Sample {
            var principal: String
            var resource: String?
            var address: String
            var account: String
            var now: Date
        }
        let samples = try rows.map { row in
            Sample(
                principal: try row.decode(String.self, column: "principal_arn"), resource: try row.decode(String?.self, column: "resource"),
                address: try row.decode(String.self, column: "address"), account: try row.decode(String.self, column: "account_id"),
                now: try row.decode(Date.self, column: "event_time").addingTimeInterval(3600)
            )
        }.shuffled()
        let withResource = samples.filter { $0.resource != nil }
        guard !samples.isEmpty, !withResource.isEmpty else { throw ValidationError("too little data to sample arguments from") }
        print("tool latency over \(events) CloudTrail events, \(calls) calls per tool, \(samples.count) sampled events")
        let hours = JSONValue.int(Int64(hoursBack))
        let cases: [(String, (Int) -> (Sample, JSONValue))] = [
            ("get_cloudtrail_events (principal)", {
                let s = samples[$0 % samples.count]
                return (s, ["principal_arn": .string(s.principal), "hours_back": hours])
            }),
            ("get_cloudtrail_events (resource)", {
                let s = withResource[$0 % withResource.count]
                return (s, ["resource_arn": .string(s.resource!), "hours_back": hours])
            }),
            ("get_iam_principal_history", { let s = samples[$0 % samples.count]; return (s, ["principal_arn": .string(s.principal)]) }),
            ("check_guardduty_findings", { let s = samples[$0 % samples.count]; return (s, ["account_id": .string(s.account)]) }),
            ("get_vpc_flow_logs", { let s = samples[$0 % samples.count]; return (s, ["source_ip": .string(s.address), "hours_back": hours]) }),
            ("lookup_ip_reputation", { let s = samples[$0 % samples.count]; return (s, ["ip_address": .string(s.address)]) }),
        ]
        for (label, arguments) in cases {
            let name = String(label.split(separator: " ")[0])
            var latencies: [Double] = []
            var errors = 0
            for i in 0..<calls {
                let (sample, input) = arguments(i)
                let tools = ToolRegistry(context: ToolContext(pool: pool, now: { sample.now }))
                let started = ContinuousClock.now
                let result = await tools.call(name: name, arguments: input)
                latencies.append((ContinuousClock.now - started) / .milliseconds(1))
                if result.isError { errors += 1 }
            }
            let q = Self.quantiles(latencies)
            print(String(format: "%-36@ p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  errors %d", label as NSString, q.p50, q.p99, q.max, errors))
        }
        try await comparePrincipalsSeen(samples.map { ($0.address, $0.now) }, pool: pool)
    }

    /// The statement `lookup_ip_reputation` read the principals seen from an address with before migration 0015: an
    /// aggregation of every raw event from the address.
    static let rawPrincipalsSeen = """
        SELECT coalesce(principal_arn, '') AS principal, count(*) AS n, min(event_time) AS first_seen, max(event_time) AS last_seen
        FROM cloudtrail_event WHERE source_ip = ANY ($1::inet[]) AND event_time <= $2
        GROUP BY 1 ORDER BY n DESC, 1 LIMIT 11
        """

    /// Runs the statement before 0015 and ``AddressActivity/principalsSeen(limit:)`` once per call on the same sampled
    /// address and "now", interleaved (the order alternates); prints each one's p50/p99, the p50 ratio, and how many
    /// answers differed (0 when the summary is exact).
    private func comparePrincipalsSeen(_ samples: [(address: String, now: Date)], pool: PostgresPool) async throws {
        var before: [Double] = [], after: [Double] = []
        var differing = 0
        func timed(_ sql: String, _ parameters: [any PostgresEncodable], into latencies: inout [Double]) async throws -> [String] {
            let started = ContinuousClock.now
            let rows = try await pool.query(sql, parameters)
            latencies.append((ContinuousClock.now - started) / .milliseconds(1))
            return try rows.map { row in
                let times = try [row.decode(Date.self, column: "first_seen"), row.decode(Date.self, column: "last_seen")].map(RFC3339.format)
                return "\(try row.decode(String.self, column: "principal")) \(try row.decode(Int.self, column: "n")) \(times)"
            }
        }
        let raw = Self.rawPrincipalsSeen
        let summary = AddressActivity.principalsSeen(limit: 11)
        for i in 0..<calls {
            let sample = samples[i % samples.count]
            let rawParameters: [any PostgresEncodable] = ["{\(sample.address)}", sample.now]
            let summaryParameters = AddressActivity.principalsSeenParameters(addresses: [sample.address], now: sample.now)
            let (a, b): ([String], [String])
            if i % 2 == 0 {
                a = try await timed(raw, rawParameters, into: &before)
                b = try await timed(summary, summaryParameters, into: &after)
            } else {
                b = try await timed(summary, summaryParameters, into: &after)
                a = try await timed(raw, rawParameters, into: &before)
            }
            if a != b { differing += 1 }
        }
        let (old, new) = (Self.quantiles(before), Self.quantiles(after))
        print("lookup_ip_reputation's principals statement, \(calls) calls each on the same samples:")
        for (label, q) in [("raw events (before migration 0015)", old), ("per-address summary", new)] {
            print(String(format: "  %-36@ p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms", label as NSString, q.p50, q.p99, q.max))
        }
        print(String(format: "  p50 ratio before/now %.2f; answers that differed: %d", old.p50 / new.p50, differing))
    }

    /// The p50 (the upper median), p99 (rank ⌊0.99 n⌋, zero-based) and maximum of `values` (not empty).
    static func quantiles(_ values: [Double]) -> (p50: Double, p99: Double, max: Double) {
        let sorted = values.sorted()
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))], sorted.last!)
    }
}
