import AsyncHTTPClient
import Foundation
import Synchronization
import VigilCoordinator
import VigilCore
import VigilEnrichment
import VigilPostgres
import VigilQueue
import VigilRules
import VigilSchema

/// One run of `vigil demo`: database, child processes, data, ingest, progress, summary.
///
/// Contract: ``shutdown()`` must be called after ``run(interrupted:)`` returns or throws, whatever happened; it stops
/// every child process and the private PostgreSQL this run started.
final class DemoSession: Sendable {
    let command: DemoCommand
    let state: URL
    let externalDatabase: String?
    let embedded: EmbeddedPostgres?
    private let resources = Mutex<(cluster: LocalCluster?, pool: PostgresPool?, http: HTTPClient?, startedServer: Bool)>((nil, nil, nil, false))

    init(command: DemoCommand, state: URL, externalDatabase: String?, embedded: EmbeddedPostgres?) {
        self.command = command
        self.state = state
        self.externalDatabase = externalDatabase
        self.embedded = embedded
    }

    func run(interrupted: InterruptFlag) async throws {
        let say = DemoOutput.line
        if command.reset {
            if let embedded { try await embedded.reset() }
            try? FileManager.default.removeItem(at: state)
            say("reset: removed \(state.path)\(externalDatabase != nil ? " (the database at DATABASE_URL is left as it is)" : "")")
        }
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)

        // 1. Database.
        let databaseURL: String
        if let externalDatabase {
            databaseURL = externalDatabase
            say("database:    the one at DATABASE_URL / --database-url")
        } else {
            let reused = FileManager.default.fileExists(atPath: embedded!.dataDirectory.appendingPathComponent("PG_VERSION").path)
            resources.withLock { $0.startedServer = true }
            databaseURL = try await embedded!.start()
            say("database:    private PostgreSQL under \(embedded!.directory.path) (\(reused ? "reused from an earlier run" : "new"))")
        }
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: databaseURL))
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        resources.withLock {
            $0.pool = pool
            $0.http = http
        }
        try await VigilSchema.migrator().migrate(pool)
        let shards = try await ClusterSettings.ensureShardCount(pool, requested: nil)
        say("schema:      migrated, \(shards) shards")

        // 2. Processes.
        let cluster = try LocalCluster(databaseURL: databaseURL, logDirectory: state.appendingPathComponent("logs"), http: http)
        resources.withLock { $0.cluster = cluster }
        let llm: LLMSetup
        var simulatorURL: String?
        if let configured = LLMSetup.configured(in: ProcessInfo.processInfo.environment) {
            llm = configured
        } else {
            let url = try await cluster.startSimulator(arguments: [
                "--latency-median-ms", String(command.llmLatencyMs), "--rpm", String(command.llmRpm), "--log-level", "warning",
            ])
            simulatorURL = url
            llm = .simulator(baseURL: url)
        }
        say("LLM:         \(llm)")
        let coordinatorURL = try await cluster.startCoordinator()
        say("coordinator: \(coordinatorURL) (review console: \(coordinatorURL)/)")
        // The data is replayed from the past: the tools' windows end at each alert's time, not now. With the simulator,
        // the cluster-wide limiter shares its request limit (so the progress line can show its use).
        var workerArguments = [
            "--llm-tools-clock", "alert", "--llm-concurrency", String(command.llmConcurrency), "--max-in-flight", String(command.maxInFlight),
        ]
        if llm.kind == .simulator {
            workerArguments += ["--llm-rpm", String(command.llmRpm), "--llm-itpm", "1000000000", "--llm-otpm", "1000000000"]
        }
        _ = try cluster.startWorkers(count: command.workers, arguments: workerArguments, environment: llm.workerEnvironment)
        say("workers:     \(command.workers) processes (logs in \(cluster.logDirectory.path))")

        // 3. Data → alerts.
        let dataset = try DemoDataset.locate(explicit: command.data, stateDirectory: state)
        say("data:        \(dataset.cloudTrailFiles.count) CloudTrail files from \(dataset.origin)")
        let loaded = try await EnrichmentLoader(pool: pool).load(.cloudtrail, paths: dataset.cloudTrailFiles)
        say("loaded:      \(loaded) (for the investigation tools and reports)")
        let runTag = "demo-" + String(Int(Date().timeIntervalSince1970))
        let alerts = try await buildAlerts(dataset: dataset, pool: pool, runTag: runTag)
        try Task.checkCancellation()

        // 4. Ingest over HTTP, with a token made for this run.
        let token = try await TokenStore(pool: pool).create(name: runTag, scopes: [.ingest, .read])
        let ingest = IngestProgress()
        let started = Date()
        let poster = AlertPoster(url: coordinatorURL, bearer: token, maxAttempts: 30, client: http)
        let ingestTask = Task {
            try await Self.ingest(alerts, poster: poster, progress: ingest)
        }
        defer { ingestTask.cancel() }

        // 5. Progress until every alert has a verdict (or died).
        let monitor = ClusterMonitor(pool: pool, http: http, simulatorURL: simulatorURL)
        let deadline = ContinuousClock.now + .seconds(command.timeout)
        var lastPlain = ContinuousClock.now - .seconds(10)
        while true {
            try Task.checkCancellation()
            try cluster.checkChildren()
            let posting = ingest.snapshot
            if let failure = posting.failure { throw failure }
            let snapshot = try await monitor.sample(ids: posting.ids)
            let line = snapshot.line(posted: posting.posted, total: alerts.count, elapsed: Date().timeIntervalSince(started))
            if DemoOutput.isTerminal {
                DemoOutput.live(line)
            } else if ContinuousClock.now - lastPlain >= .seconds(5) {
                DemoOutput.line(line)
                lastPlain = .now
            }
            if posting.done, snapshot.verdicts + snapshot.dead >= posting.ids.count { break }
            guard ContinuousClock.now < deadline else {
                throw ClusterError(.timedOut, "not every alert had a verdict after \(Int(command.timeout)) s (see \(cluster.logDirectory.path))")
            }
            try await Task.sleep(for: .milliseconds(DemoOutput.isTerminal ? 500 : 1000))
        }
        let posting = ingest.snapshot
        let records = try await TriageRecord.fetch(pool, ids: posting.ids)
        let final = try await monitor.sample(ids: posting.ids)
        DemoOutput.line(final.line(posted: posting.posted, total: alerts.count, elapsed: Date().timeIntervalSince(started)))
        DemoOutput.line("")
        DemoSummary(records: records, ingested: posting.ids.count, duplicates: posting.duplicates, rejected: posting.rejected,
                    dead: final.dead, llm: llm, simulator: final.simulator, consoleURL: coordinatorURL + "/", top: command.top).print()

        if command.serve {
            say("\nserving: coordinator and review console at \(coordinatorURL)/, \(command.workers) workers; Ctrl-C stops everything")
            say("ingest more: vigil ingest FILE --url \(coordinatorURL) --token \(token)")
            while true {
                try cluster.checkChildren()
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Detections from the rule path, the IAM-activity and auth-failure reports' rows, and noise.
    private func buildAlerts(dataset: DemoDataset, pool: PostgresPool, runTag: String) async throws -> [JSONValue] {
        var events: [JSONValue] = []
        for file in dataset.cloudTrailFiles { events += try CloudTrailReader.events(path: file) }
        let runner = try RuleTestRunner(rulePaths: dataset.sigmaDirectory.map { [$0] } ?? [], builtins: true)
        let builder = DemoAlertBuilder(runTag: runTag, ruleSet: runner.ruleSet, noise: command.noise)
        let (detections, noise) = builder.alerts(events: events)
        let rules = runner.ruleSet.rules.count
        DemoOutput.line("rule path:   \(rules) Sigma rules (\(dataset.sigmaDirectory == nil ? "built-in" : "SigmaHQ CloudTrail + built-in")) "
            + "over \(events.count) events: \(detections.count) detections")

        let times = events.compactMap { $0["eventTime"]?.stringValue.flatMap(RFC3339.parse) }
        let until = (times.max() ?? Date()).addingTimeInterval(1)
        let hours = max(1, Int(((until.timeIntervalSince(times.min() ?? until)) / 3600).rounded(.up)) + 1)
        let iam = try await IAMActivityReport(pool: pool).rows(hours: hours, until: until)
        let auth = try await AuthFailureReport(pool: pool).rows(hours: hours, until: until).filter(\.isSuspect)
        DemoOutput.line("reports:     iam-activity \(iam.count) rows (\(iam.filter(\.outsideBaseline).count) outside baseline), "
            + "auth-failures \(auth.count) suspects\(auth.isEmpty ? " (the data set has no auth logs)" : "")")
        let reports = (iam.map(IAMActivityReport.alert) + auth.map { AuthFailureReport.alert($0, until: until) }).map { alert -> JSONValue in
            guard var object = alert.objectValue, let id = object["external_id"]?.stringValue else { return alert }
            object["external_id"] = .string("\(runTag):\(id)")
            return .object(object)
        }
        let all = DemoAlertBuilder.interleave(detections + reports, noise)
        DemoOutput.line("alerts:      \(all.count) = \(detections.count) detections + \(reports.count) report rows + \(noise.count) benign noise")
        guard command.alerts > 0, all.count > command.alerts else { return all }
        // An even sample keeps the mix; every alert costs model calls, so the default keeps the demo to a few minutes.
        let sample = (0..<command.alerts).map { all[$0 * all.count / command.alerts] }
        DemoOutput.line("sample:      \(sample.count) of them, evenly spread (--alerts 0 ingests all)")
        return sample
    }

    /// Posts `alerts` in batches of 50, recording ids as they are acknowledged.
    private static func ingest(_ alerts: [JSONValue], poster: AlertPoster, progress: IngestProgress) async throws {
        do {
            for start in stride(from: 0, to: alerts.count, by: 50) {
                let batch = alerts[start..<min(start + 50, alerts.count)]
                let body = try await poster.post(batch.map(\.jsonText), label: "demo alert \(start + 1)")
                progress.record(body, count: batch.count)
            }
            progress.finish(nil)
        } catch is CancellationError {
            progress.finish(nil)
        } catch {
            progress.finish(ClusterError(.ingestFailed, "ingest failed: \(error)"))
        }
    }

    /// Stops the children and the private PostgreSQL this run started; closes the pool and the HTTP client.
    func shutdown() async {
        let (cluster, pool, http, startedServer) = resources.withLock { $0 }
        if let cluster { await cluster.shutdown() }
        if let pool { await pool.close() }
        if let http { try? await http.shutdown() }
        if startedServer, let embedded { try? await embedded.stop() }
    }
}

/// What the ingest task has acknowledged so far.
final class IngestProgress: Sendable {
    struct Snapshot: Sendable {
        var ids: [UUID] = []
        var posted = 0
        var duplicates = 0
        var rejected = 0
        var done = false
        var failure: ClusterError?
    }

    private let state = Mutex(Snapshot())

    var snapshot: Snapshot { state.withLock { $0 } }

    /// Adds a coordinator answer: accepted and duplicate ids are triaged (a duplicate's verdict is the earlier one).
    func record(_ body: JSONValue, count: Int) {
        let results = body["results"]?.arrayValue ?? []
        state.withLock { snapshot in
            snapshot.posted += count
            for result in results {
                switch result["status"]?.stringValue {
                case "accepted", "duplicate":
                    if let id = result["id"]?.stringValue.flatMap(UUID.init(uuidString:)) { snapshot.ids.append(id) }
                    if result["status"]?.stringValue == "duplicate" { snapshot.duplicates += 1 }
                default:
                    snapshot.rejected += 1
                }
            }
        }
    }

    func finish(_ failure: ClusterError?) {
        state.withLock {
            $0.done = true
            $0.failure = failure
        }
    }
}
