import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import VigilCoordinator
import VigilCore
import VigilEnrichment
import VigilPostgres
import VigilQueue
import VigilRules
import VigilSchema
import VigilWorker

/// `vigil bench e2e`: end-to-end alerts/s and triage latency for 1, 2, 4, 8 worker processes against the LLM
/// simulator, system overhead per alert, scaling efficiency, and rate-limit utilisation; JSON, Markdown and SVG.
struct EndToEndBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "End-to-end triage benchmark: throughput and latency vs worker processes, overhead, rate-limit use.",
        discussion: """
            Needs DATABASE_URL (a server of its own: the benchmark empties the alert, job and verdict tables). For each \
            worker count: once the workers' shard leases are balanced, a throughput phase (the backlog kept at 4 × what \
            the workers can hold for --throughput-seconds; \
            alerts/s counted between the first and last tenth of the phase), then a latency phase (alerts paced at \
            --latency-load of that throughput for --latency-seconds, then drained). Latency is ingest commit → verdict \
            commit (the two transactions' commit timestamps: the server needs track_commit_timestamp = on); overhead is \
            that minus the model calls' time on the wire and the tools' time recorded in the verdict's audit, broken \
            down by the worker's timeline (triage.timing). Last, a rate-limited phase: the largest worker count against a simulator limited to \
            --limited-rpm. Build with -c release.
            """
    )

    @Option(name: .customLong("database-url"), help: "The benchmark's PostgreSQL (default DATABASE_URL); its Vigil tables are emptied.")
    var databaseURL: String?

    @Option(help: "Worker process counts, comma-separated.")
    var workers = "1,2,4,8"

    @Option(help: "Simulator: median model latency in milliseconds (log-normal).")
    var llmLatencyMs = 1500.0

    @Option(help: "Simulator: sigma of the log-normal latency.")
    var llmSigma = 0.5

    @Option(help: "Simulator requests per minute during the scaling phases (high: LLM-bound, not limit-bound).")
    var rpm = 100_000

    @Option(help: "Simulator requests per minute during the rate-limited phase.")
    var limitedRpm = 3000

    @Option(help: "Seconds of the throughput phase per worker count.")
    var throughputSeconds = 60.0

    @Option(help: "Seconds of paced arrivals in the latency phase per worker count.")
    var latencySeconds = 30.0

    @Option(help: """
        Alerts the latency phase sends at least per worker count: it runs --latency-seconds, longer when that sends \
        fewer (a p99 needs samples: of 31, it is their maximum; its 95% interval has an upper bound from 368 on). \
        0: --latency-seconds alone.
        """)
    var latencyAlerts = 400

    @Option(help: "Arrival rate of the latency phase, as a fraction of the measured throughput.")
    var latencyLoad = 0.5

    @Option(help: "Seconds of the rate-limited phase (0 skips it).")
    var limitedSeconds = 60.0

    @Option(help: "Jobs in flight per worker (vigil worker --max-in-flight; match --llm-concurrency in --worker-arguments).")
    var maxInFlight = 16

    @Option(help: "Extra arguments for every worker, space-separated (for example '--triage rules').")
    var workerArguments = ""

    @Option(help: "Extra arguments for the workers of the rate-limited phase (for example '--llm-rpm 3000 --llm-burst-seconds 1').")
    var limitedWorkerArguments = ""

    @Option(help: """
        Spread the alerts over this many principals (0: as the templates name them). Alerts are routed by principal, \
        one shard and so one worker per principal: the shared data's few principals put most alerts on one shard. With \
        N > 0 each copy's principal gets the suffix -kI (I = copy number mod N), which the tools find no history for.
        """)
    var routingKeys = 0

    @Option(help: "Folder for results.json, report.md and the SVG charts.")
    var output = "benchmarks/e2e/results"

    func validate() throws {
        guard !workerCounts.isEmpty, workerCounts.allSatisfy({ (1...64).contains($0) }) else {
            throw ValidationError("--workers must be a comma-separated list of counts 1…64")
        }
        guard databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] != nil else {
            throw ValidationError("set DATABASE_URL or --database-url (a server of the benchmark's own)")
        }
        guard throughputSeconds >= 10, latencySeconds >= 5, (0.05...1).contains(latencyLoad) else {
            throw ValidationError("--throughput-seconds ≥ 10, --latency-seconds ≥ 5, --latency-load in 0.05…1")
        }
        guard routingKeys >= 0 else { throw ValidationError("--routing-keys must not be negative") }
        guard latencyAlerts >= 0 else { throw ValidationError("--latency-alerts must not be negative") }
    }

    var workerCounts: [Int] { workers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"]!
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url))
        let cluster = try LocalCluster(databaseURL: url, logDirectory: URL(fileURLWithPath: output).appendingPathComponent("logs"), http: http)
        let runner = EndToEndBenchmark(command: self, pool: pool, http: http, cluster: cluster)
        let work = Task { try await runner.run() }
        let trap = SignalTrap { _ in work.cancel() }
        let result = await work.result
        await cluster.shutdown()
        trap.cancel()
        await pool.close()
        try? await http.shutdown()
        try result.get()
    }
}

/// The benchmark's phases and measurements.
struct EndToEndBenchmark {
    let command: EndToEndBenchmarkCommand
    let pool: PostgresPool
    let http: HTTPClient
    let cluster: LocalCluster

    /// One worker count's results.
    struct Run: Sendable {
        var workers: Int
        var throughput: Double
        var throughputVerdicts: Int
        var latency: LatencySummary
        var llm: LatencySummary
        var tools: LatencySummary
        var overhead: LatencySummary
        /// Overhead without the time alerts waited for a job slot (queueing), and that wait itself.
        var overheadWithoutSlotWait: LatencySummary
        /// Each step of ``TriageTimeline/Breakdown`` (by its name), over the alerts the overhead counts.
        var steps: [(name: String, summary: LatencySummary)]
        /// Of those alerts, how many waited for a job slot at all.
        var slotWaited: Int
        /// The server's mean WAL flush during the latency phase (`pg_stat_wal`, needs `track_wal_io_timing`), in
        /// milliseconds; nil when not tracked. A commit timestamp is taken before its commit's flush.
        var walSyncMilliseconds: Double?
        /// Latency-phase alerts left out of the overhead: no AI audit, or an incomplete one (timed out, unavailable).
        var overheadExcluded: Int
        var modelCallsPerAlert: Double
        var aiVerdicts: Int
        var latencyAlerts: Int
        var offeredRate: Double
        /// (seconds since the phase began, ready + running jobs) during the throughput phase.
        var backlog: [(Double, Int)]
        var paths: [String: Int]
    }

    /// The rate-limited phase's results.
    struct Limited: Sendable {
        var workers: Int
        var rpm: Int
        var seconds: Double
        var served: Int
        var rateLimited: Int
        var requests: Int
        var utilisation: Double { Double(served) / (Double(rpm) * seconds / 60) }
        var rate429: Double { requests == 0 ? 0 : Double(rateLimited) / Double(requests) }
    }

    func run() async throws {
        // Latency is commit to commit: the commit timestamps of the alert's and the verdict's transactions.
        let tracked = try await pool.query("SHOW track_commit_timestamp")[0].decode(String.self, at: 0)
        guard tracked == "on" else {
            throw ValidationError("the benchmark's server needs track_commit_timestamp = on (benchmarks/e2e/run.sh sets it)")
        }
        try await VigilSchema.migrator().migrate(pool)
        _ = try await ClusterSettings.ensureShardCount(pool, requested: nil)
        let token = try await TokenStore(pool: pool).create(name: "bench-e2e-\(Int(Date().timeIntervalSince1970))", scopes: [.ingest, .read])
        let coordinatorURL = try await cluster.startCoordinator(arguments: ["--backlog-high-water", "10000000"])
        let poster = AlertPoster(url: coordinatorURL, bearer: token, maxAttempts: 30, client: http)
        let (templates, dataset) = try Self.templates()
        // The investigation tools query these (run the workers with --llm-tools-clock alert for replayed data).
        let loaded = try await EnrichmentLoader(pool: pool).load(.cloudtrail, paths: dataset.cloudTrailFiles)
        DemoOutput.line("bench e2e: CloudTrail for the tools: \(loaded)")
        DemoOutput.line("bench e2e: \(templates.count) alert templates, workers \(command.workerCounts), simulator median "
            + "\(Int(command.llmLatencyMs)) ms (sigma \(command.llmSigma)), \(command.rpm) rpm")
        var feeder = AlertFeeder(templates: templates, poster: poster, routingKeys: command.routingKeys)
        var runs: [Run] = []
        let simulator = try await startSimulator(rpm: command.rpm)
        for count in command.workerCounts {
            try Task.checkCancellation()
            let run = try await measure(workers: count, simulator: simulator, feeder: &feeder)
            runs.append(run)
            // Written after every count, so a later failure keeps what was measured.
            try EndToEndReport(command: command, runs: runs, limited: nil, date: Date()).write(to: URL(fileURLWithPath: command.output))
            DemoOutput.line(String(format: "  %d workers: %.1f alerts/s; latency %@; overhead p50 %.1f ms p99 %.1f ms; %.1f model calls/alert",
                         count, run.throughput, run.latency.description, run.overhead.p50, run.overhead.p99, run.modelCallsPerAlert))
        }
        await cluster.stop(cluster.running.filter { $0.name == "llm-sim" }, grace: .seconds(5))
        var limited: Limited?
        if command.limitedSeconds > 0, let most = command.workerCounts.max() {
            limited = try await measureLimited(workers: most, feeder: &feeder)
            DemoOutput.line(String(format: "  rate-limited (%d workers, %d rpm): utilisation %.1f%%, 429s %.2f%% of %d requests",
                         most, command.limitedRpm, 100 * limited!.utilisation, 100 * limited!.rate429, limited!.requests))
        }
        let report = EndToEndReport(command: command, runs: runs, limited: limited, date: Date())
        try report.write(to: URL(fileURLWithPath: command.output))
        DemoOutput.line("results: \(command.output)/results.json, report.md, latency.svg, throughput.svg, backlog.svg")
    }

    private func startSimulator(rpm: Int) async throws -> String {
        try await cluster.startSimulator(arguments: [
            "--latency-median-ms", String(command.llmLatencyMs), "--latency-sigma", String(command.llmSigma), "--rpm", String(rpm),
            "--burst-seconds", "1", "--request-log", "0", "--log-level", "warning",
        ])
    }

    /// Empties the queue, verdicts and alerts (and the limiter's buckets) between phases.
    private func clean() async throws {
        try await pool.withConnection { connection in
            try await connection.executeScript(
                "TRUNCATE alert, alert_key, triage_job, verdict, dead_job; DELETE FROM llm_rate_limit; DELETE FROM shard_lease")
        }
    }

    private func databaseNow() async throws -> Double {
        try await pool.query("SELECT extract(epoch FROM clock_timestamp())::float8 AS t")[0].decode(Double.self, column: "t")
    }

    /// The mean WAL sync since the last reset of `pg_stat_wal`, nil without `track_wal_io_timing` or syncs.
    private func walSyncMilliseconds() async throws -> Double? {
        let row = try await pool.query(
            """
            SELECT current_setting('track_wal_io_timing') = 'on' AS timed, wal_sync::int8 AS syncs, wal_sync_time::float8 AS ms FROM pg_stat_wal
            """)[0]
        let syncs = try row.decode(Int64.self, column: "syncs")
        guard try row.decode(Bool.self, column: "timed"), syncs > 0 else { return nil }
        return try row.decode(Double.self, column: "ms") / Double(syncs)
    }

    private func backlog() async throws -> Int {
        try await pool.query("SELECT count(*) AS n FROM triage_job")[0].decode(Int.self, column: "n")
    }

    private func measure(workers count: Int, simulator: String, feeder: inout AlertFeeder) async throws -> Run {
        try await clean()
        _ = try? await http.execute(postRequest(simulator + "/admin/reset"), timeout: .seconds(5))
        let extra = Self.words(command.workerArguments)
        let processes = try cluster.startWorkers(
            count: count, arguments: ["--max-in-flight", String(command.maxInFlight), "--log-level", "warning"] + extra,
            environment: LLMSetup.simulator(baseURL: simulator).workerEnvironment)
        defer { _ = processes }
        // Measure the balanced cluster, not a new worker set's hand-over of shard leases (under a second).
        let balancedAfter = try await waitForBalancedLeases(workers: count)
        DemoOutput.line(String(format: "  %d workers: shard leases balanced after %.0f s", count, balancedAfter.seconds))
        // Throughput: keep the backlog well above what the workers hold in flight, so that every worker's shards
        // have ready jobs although alerts spread over the shards unevenly.
        let target = max(32, 4 * count * command.maxInFlight)
        let start = try await databaseNow()
        let clockStart = ContinuousClock.now
        var samples: [(Double, Int)] = []
        var ids: [UUID] = []
        while ContinuousClock.now - clockStart < .seconds(command.throughputSeconds) {
            try Task.checkCancellation()
            try cluster.checkChildren()
            let waiting = try await backlog()
            samples.append(((ContinuousClock.now - clockStart).seconds, waiting))
            if waiting < target { ids += try await feeder.post(count: target - waiting) }
            try await Task.sleep(for: .milliseconds(250))
        }
        let end = try await databaseNow()
        let span = end - start
        let counted = try await pool.query(
            """
            SELECT count(*) AS n FROM verdict
            WHERE created_at >= to_timestamp($1::float8) AND created_at < to_timestamp($2::float8)
            """, [start + span / 10, end - span / 10])[0].decode(Int.self, column: "n")
        let throughput = Double(counted) / (span * 0.8)
        // Drain the throughput phase, then the latency phase at a fraction of that throughput.
        try await waitForVerdicts(ids, timeout: max(300, 4 * Double(ids.count) / max(throughput, 0.01)))
        let rate = max(1, throughput * command.latencyLoad)
        var paced: [UUID] = []
        try await pool.query("SELECT pg_stat_reset_shared('wal')")
        let pacedStart = ContinuousClock.now
        var sent = 0
        while ContinuousClock.now - pacedStart < .seconds(command.latencySeconds) || sent < command.latencyAlerts {
            try Task.checkCancellation()
            let due = Int(rate * (ContinuousClock.now - pacedStart).seconds) - sent
            if due > 0 {
                paced += try await feeder.post(count: due)
                sent += due
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await waitForVerdicts(paced, timeout: 300)
        let walSync = try await walSyncMilliseconds()
        let records = try await TriageRecord.fetch(pool, ids: paced, commitTimestamps: true)
        await cluster.stop(processes, grace: .seconds(15))
        let ai = records.filter { $0.audit != nil }
        // Only where the audit is whole: a timed-out or abandoned AI path leaves its last call out of the audit.
        let breakdowns = records.filter(\.auditIsComplete).compactMap(\.breakdown)
        let stepNames = breakdowns.first?.steps.map(\.name) ?? []
        return Run(
            workers: count, throughput: throughput, throughputVerdicts: counted,
            latency: LatencySummary(milliseconds: records.map(\.latencyMilliseconds)),
            llm: LatencySummary(milliseconds: records.map(\.llmMilliseconds)),
            tools: LatencySummary(milliseconds: records.map(\.toolMilliseconds)),
            overhead: LatencySummary(milliseconds: breakdowns.map(\.overhead)),
            overheadWithoutSlotWait: LatencySummary(milliseconds: breakdowns.map(\.overheadWithoutSlotWait)),
            steps: stepNames.enumerated().map { index, name in
                (name, LatencySummary(milliseconds: breakdowns.map { $0.steps[index].milliseconds }))
            },
            slotWaited: breakdowns.filter { $0.slotWait > 0 }.count,
            walSyncMilliseconds: walSync,
            overheadExcluded: records.count - breakdowns.count,
            modelCallsPerAlert: records.isEmpty ? 0 : Double(records.reduce(0) { $0 + $1.modelCalls }) / Double(records.count),
            aiVerdicts: ai.count, latencyAlerts: records.count, offeredRate: rate, backlog: samples,
            paths: Dictionary(grouping: records, by: \.path).mapValues(\.count))
    }

    /// Waits until `count` live workers each hold a fair share of the shard leases (all shards held, shares differing
    /// by at most one) and returns how long that took.
    private func waitForBalancedLeases(workers count: Int) async throws -> Duration {
        let started = ContinuousClock.now
        let shards = try await pool.query("SELECT shard_count FROM cluster")[0].decode(Int.self, column: "shard_count")
        while ContinuousClock.now - started < .seconds(300) {
            try Task.checkCancellation()
            try cluster.checkChildren()
            let held = try await pool.query(
                "SELECT count(*) AS n FROM shard_lease WHERE owner IS NOT NULL AND expires_at > now() GROUP BY owner"
            ).map { try $0.decode(Int.self, column: "n") }
            if held.count == count, held.reduce(0, +) == shards, let most = held.max(), let least = held.min(), most - least <= 1 {
                return ContinuousClock.now - started
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw ValidationError("the shard leases of \(count) workers did not balance within 300 s")
    }

    private func measureLimited(workers count: Int, feeder: inout AlertFeeder) async throws -> Limited {
        try await clean()
        let simulator = try await startSimulator(rpm: command.limitedRpm)
        let processes = try cluster.startWorkers(
            count: count,
            arguments: ["--max-in-flight", String(command.maxInFlight), "--log-level", "warning"] + Self.words(command.workerArguments)
                + Self.words(command.limitedWorkerArguments),
            environment: LLMSetup.simulator(baseURL: simulator).workerEnvironment)
        let monitor = ClusterMonitor(pool: pool, http: http, simulatorURL: simulator)
        let target = max(32, 2 * count * command.maxInFlight)
        // Warm up for 10 s, then count the simulator's answers over the measured window.
        let clockStart = ContinuousClock.now
        var before: ClusterMonitor.SimulatorCounters?
        var beforeAt = clockStart
        while ContinuousClock.now - clockStart < .seconds(10 + command.limitedSeconds) {
            try Task.checkCancellation()
            try cluster.checkChildren()
            let waiting = try await backlog()
            if waiting < target { _ = try await feeder.post(count: target - waiting) }
            if before == nil, ContinuousClock.now - clockStart >= .seconds(10) {
                before = await monitor.simulatorCounters()
                beforeAt = .now
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        let after = await monitor.simulatorCounters()
        let seconds = (ContinuousClock.now - beforeAt).seconds
        await cluster.stop(processes, grace: .seconds(15))
        await cluster.stop(cluster.running.filter { $0.name == "llm-sim" }, grace: .seconds(5))
        return Limited(
            workers: count, rpm: command.limitedRpm, seconds: seconds, served: (after?.served ?? 0) - (before?.served ?? 0),
            rateLimited: (after?.rateLimited ?? 0) - (before?.rateLimited ?? 0), requests: (after?.requests ?? 0) - (before?.requests ?? 0))
    }

    private func waitForVerdicts(_ ids: [UUID], timeout: Double) async throws {
        let deadline = ContinuousClock.now + .seconds(timeout)
        let texts = ids.map { $0.uuidString.lowercased() }
        while ContinuousClock.now < deadline {
            try Task.checkCancellation()
            try cluster.checkChildren()
            let done = try await pool.query(
                """
                SELECT (SELECT count(*) FROM verdict WHERE alert_id = ANY($1::text[]::uuid[]))
                     + (SELECT count(*) FROM dead_job WHERE alert_id = ANY($1::text[]::uuid[])) AS n
                """, [texts])[0].decode(Int.self, column: "n")
            if done >= ids.count { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw ClusterError(.timedOut, "alerts still without a verdict after \(Int(timeout)) s (logs: \(cluster.logDirectory.path))")
    }

    private func postRequest(_ url: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        return request
    }

    static func words(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }

    /// Alerts shaped like the demo's: detections and report rows from the shared CloudTrail data (or the built-in
    /// sample), plus noise; the feeder gives each copy a unique external id.
    static func templates() throws -> ([JSONValue], DemoDataset) {
        let dataset = try DemoDataset.locate(explicit: nil, stateDirectory: URL(fileURLWithPath: NSTemporaryDirectory()))
        var events: [JSONValue] = []
        for file in dataset.cloudTrailFiles { events += try CloudTrailReader.events(path: file) }
        let runner = try RuleTestRunner(rulePaths: dataset.sigmaDirectory.map { [$0] } ?? [], builtins: true)
        let (detections, noise) = DemoAlertBuilder(runTag: "bench", ruleSet: runner.ruleSet, noise: 200).alerts(events: events)
        return (DemoAlertBuilder.interleave(detections, noise), dataset)
    }
}

/// Posts copies of template alerts with fresh external ids, returning the acknowledged ids.
struct AlertFeeder {
    let templates: [JSONValue]
    let poster: AlertPoster
    /// When above 0, copy I's principal gets the suffix `-k(I mod routingKeys)` (see `--routing-keys`).
    let routingKeys: Int
    private var next = 0
    private let tag = String(Int(Date().timeIntervalSince1970))

    init(templates: [JSONValue], poster: AlertPoster, routingKeys: Int = 0) {
        self.templates = templates
        self.poster = poster
        self.routingKeys = routingKeys
    }

    mutating func post(count: Int) async throws -> [UUID] {
        var ids: [UUID] = []
        var remaining = count
        while remaining > 0 {
            let size = min(remaining, 500)
            var lines: [String] = []
            for _ in 0..<size {
                guard var object = templates[next % templates.count].objectValue else { continue }
                object["external_id"] = .string("bench-\(tag)-\(next)")
                if routingKeys > 0, let principal = object["principal"]?.stringValue, !principal.isEmpty {
                    object["principal"] = .string("\(principal)-k\(next % routingKeys)")
                }
                lines.append(JSONValue.object(object).jsonText)
                next += 1
            }
            let body = try await poster.post(lines, label: "bench alert \(next)")
            for result in body["results"]?.arrayValue ?? [] {
                if let id = result["id"]?.stringValue.flatMap(UUID.init(uuidString:)) { ids.append(id) }
            }
            remaining -= size
        }
        return ids
    }
}
