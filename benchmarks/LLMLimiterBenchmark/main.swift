// LLM rate-limit utilisation: W workers (each its own PostgresRateLimiter, LLMClient and TriageAgent, as separate
// processes would have) triage alerts continuously against the in-process simulator enforcing RPM R, for S seconds.
// Reports what the simulator served against the most it could (R + R/60 × S: its bucket starts full), its 429s, the
// limiter's round trips, and per-alert cost and latency from the agents' audit records.
//
//   eval "$(bash scripts/pg-throwaway.sh start --fast)"
//   swift run -c release LLMLimiterBenchmark [--workers 8] [--rpm 600] [--seconds 120] [--latency-ms 1500] [--in-flight 4]
import Foundation
import VigilCore
import VigilLLM
import VigilPostgres
import VigilSchema
import VigilSimulator

struct Options {
    var workers = 8
    var rpm = 600
    var seconds = 120.0
    var latencyMilliseconds = 1500.0
    var inFlight = 4

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            let value = iterator.next() ?? ""
            switch flag {
            case "--workers": workers = Int(value) ?? workers
            case "--rpm": rpm = Int(value) ?? rpm
            case "--seconds": seconds = Double(value) ?? seconds
            case "--latency-ms": latencyMilliseconds = Double(value) ?? latencyMilliseconds
            case "--in-flight": inFlight = Int(value) ?? inFlight
            default: fatalError("unknown flag \(flag)")
            }
        }
    }
}

/// Routine and threatening answers with evidence ids, alternating by alert.
struct BenchmarkTools: InvestigationTools {
    let toolDefinitions = ["get_cloudtrail_events", "get_iam_principal_history", "check_guardduty_findings", "get_vpc_flow_logs", "lookup_ip_reputation"]
        .map { LLMToolDefinition(name: $0, description: $0, inputSchema: ["type": "object", "properties": [:]]) }

    func call(name: String, arguments: JSONValue) async -> InvestigationToolResult {
        switch name {
        case "get_cloudtrail_events":
            InvestigationToolResult(content: ["events": [["evidence_id": "ct-1", "eventName": "CreateAccessKey", "eventSource": "iam.amazonaws.com"]]])
        case "lookup_ip_reputation": InvestigationToolResult(content: ["evidence_id": "ip-1", "reputation": "malicious"])
        default: InvestigationToolResult(content: ["evidence_id": .string("\(name)-1"), "summary": "routine"])
        }
    }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

let options = Options(CommandLine.arguments)
guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { fatalError("DATABASE_URL is not set") }
var database = PostgresConfiguration(connectionString: url)
let schema = "bench_llm_\(UInt32.random(in: 0...UInt32.max))"
let admin = try await PostgresConnection.connect(database)
try await admin.executeScript("CREATE SCHEMA \(schema)")
database.searchPath = schema
database.maxConnections = 4
let pool = PostgresPool(configuration: database)
_ = try await VigilSchema.migrator().migrate(pool)

var simulatorConfiguration = SimulatorConfiguration(requestsPerMinute: options.rpm, latencyMedianMilliseconds: options.latencyMilliseconds)
simulatorConfiguration.requestLogCapacity = 0
let limits = RateLimits(requestsPerMinute: options.rpm, inputTokensPerMinute: 100_000_000, outputTokensPerMinute: 100_000_000)

let report = try await LLMSimulator.withRunning(simulatorConfiguration) { sim in
    let limiters = (0..<options.workers).map { _ in
        PostgresRateLimiter(configuration: .init(provider: "anthropic", model: LLMProviderConfiguration.defaultAnthropicModel, limits: limits), database: pool)
    }
    try await limiters[0].prepare()
    let agents = try limiters.map { limiter in
        let provider = try LLMProviderConfiguration(kind: .anthropic, baseURL: sim.baseURL, apiKey: .value("bench")).makeProvider()
        let client = LLMClient(provider: provider, limiter: limiter, configuration: .init(maxConcurrentCalls: options.inFlight, maxAttempts: 6))
        return TriageAgent(client: client, tools: BenchmarkTools(), configuration: .init(deadline: .seconds(600)))
    }
    let start = ContinuousClock.now
    let end = start.advanced(by: .milliseconds(Int64(options.seconds * 1000)))
    // What the simulator served within the window, before in-flight alerts finish.
    async let atEnd: SimulatorStats = {
        try? await Task.sleep(until: end, clock: .continuous)
        return sim.simulator.stats()
    }()
    let audits = await withTaskGroup(of: [TriageOutcome].self) { group in
        for (w, agent) in agents.enumerated() {
            for slot in 0..<options.inFlight {
                group.addTask {
                    var outcomes: [TriageOutcome] = []
                    var n = 0
                    while ContinuousClock.now < end {
                        n += 1
                        let alert = Alert(
                            source: "bench", externalID: "w\(w)-s\(slot)-\(n)", kind: "cloudtrail", severity: .high, occurredAt: Date(),
                            principal: "arn:aws:iam::123456789012:user/u\(w)", account: "123456789012", sourceIP: "203.0.113.\(w)",
                            payload: ["eventName": "CreateAccessKey"]
                        )
                        outcomes.append(await agent.investigate(alert: alert))
                    }
                    return outcomes
                }
            }
        }
        var all: [TriageOutcome] = []
        for await outcomes in group { all += outcomes }
        return all
    }
    let elapsed = Double(start.duration(to: .now).components.seconds)
    return (await atEnd, sim.simulator.stats(), audits, elapsed, limiters.map(\.counters))
}
let (window, stats, outcomes, elapsed, counters) = report
let ceiling = Double(options.rpm) + Double(options.rpm) / 60 * options.seconds
let served = Double(window.served)
let verdicts = outcomes.filter { $0.result.verdict != nil }
print("workers \(options.workers), in flight per worker \(options.inFlight), rpm \(options.rpm), \(options.seconds) s (elapsed \(elapsed) s), "
    + "simulator median latency \(options.latencyMilliseconds) ms")
print("simulator, whole run: \(stats.totalRequests) requests, \(stats.served) served, \(stats.rateLimited) 429s "
    + "(\(String(format: "%.3f", 100 * Double(stats.rateLimited) / Double(max(1, stats.totalRequests))))%), \(stats.overloaded) overloaded")
print("utilisation in the \(Int(options.seconds)) s window: served / (R + R/60 × S) = \(window.served) / \(Int(ceiling)) = \(String(format: "%.1f", 100 * served / ceiling))%")
print("steady state: served after the initial burst per minute = \(String(format: "%.1f", (served - Double(options.rpm)) / options.seconds * 60)) (limit \(options.rpm))")
let roundTrips = counters.map(\.roundTrips).reduce(0, +)
let local = counters.map(\.calls).reduce(0, +)
print("limiter: \(roundTrips) database round trips for \(local) calls (\(String(format: "%.2f", Double(roundTrips) / Double(max(1, local)))) per call)")
print("alerts: \(outcomes.count) finished (\(verdicts.count) with a verdict; statuses \(Dictionary(grouping: outcomes, by: \.result.status).mapValues(\.count)))")
let costs = outcomes.map(\.audit.costUSD)
let latencies = outcomes.map(\.audit.latencyMilliseconds)
let turns = outcomes.map { Double($0.audit.turns) }
print("per alert: mean cost $\(String(format: "%.5f", costs.reduce(0, +) / Double(max(1, costs.count)))), mean turns "
    + "\(String(format: "%.2f", turns.reduce(0, +) / Double(max(1, turns.count)))), AI-path latency p50 \(Int(percentile(latencies, 0.5))) ms, "
    + "p95 \(Int(percentile(latencies, 0.95))) ms")
await pool.close()
try await admin.executeScript("DROP SCHEMA \(schema) CASCADE")
await admin.close()
