import ArgumentParser
import Foundation
import VigilCore
import VigilEnrichment
import VigilPostgres

/// `vigil bench tools`: latency of the five investigation tools over whatever is loaded, with arguments sampled from
/// the data (principals, resources, addresses), p50/p99 per tool.
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
        defer { Task { await pool.close() } }
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
            latencies.sort()
            let p50 = latencies[latencies.count / 2]
            let p99 = latencies[min(latencies.count - 1, Int(Double(latencies.count) * 0.99))]
            print(String(format: "%-36@ p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  errors %d", label as NSString, p50, p99, latencies.last!, errors))
        }
    }
}
