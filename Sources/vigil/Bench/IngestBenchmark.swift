import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import VigilCore
import VigilPostgres
import VigilQueue

/// `vigil bench ingest`: alerts/s through a running coordinator's HTTP API (NDJSON batches) against
/// `psql \copy` of the same alerts into a table shaped like `alert`, on the same server.
struct IngestBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "HTTP ingest alerts/s against psql \\copy of the same alerts; prints the ratio."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The coordinator's base URL.")
    var url: String

    @Option(help: "A token with the ingest scope.")
    var token: String

    @Option(help: "Alerts to send.")
    var alerts = 200_000

    @Option(help: "Alerts per request.")
    var batchSize = 1000

    @Option(help: "Requests in flight.")
    var concurrency = 4

    @Option(help: "Rounds, each an HTTP load then a psql \\copy load of fresh alerts; the medians are reported.")
    var rounds = 3

    @Option(help: "The psql program.")
    var psql = "psql"

    func run() async throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        let configuration = try await database.configuration()
        let pool = PostgresPool(configuration: configuration)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var httpRates: [Double] = []
        var psqlRates: [Double] = []
        var ratios: [Double] = []
        do {
            // The baseline's table lives across the rounds, as `alert` does: each round loads both into tables
            // already holding the earlier rounds' rows.
            try await pool.withConnection { connection in
                try await connection.executeScript("DROP TABLE IF EXISTS bench_ingest_alert; CREATE TABLE bench_ingest_alert (LIKE alert INCLUDING ALL)")
            }
            for round in 1...rounds {
                let source = "bench-" + UUID().uuidString.prefix(8).lowercased()
                let lines = Self.makeLines(alerts, source: source)
                // Each load starts from a checkpoint, so neither pays for writing out the other's pages; after the HTTP
                // load its tables are vacuumed and analysed (untimed), so autovacuum does not run during the baseline.
                try await pool.withConnection { try await $0.executeScript("CHECKPOINT") }
                let httpTime = try await postAll(lines, client: client)
                try await pool.withConnection { connection in
                    // One statement each: VACUUM cannot run in the implicit transaction of a multi-statement string.
                    try await connection.executeScript("VACUUM ANALYZE alert, alert_key, triage_job")
                    try await connection.executeScript("CHECKPOINT")
                }
                let psqlTime = try await copyWithPsql(lines, source: source, configuration: configuration, pool: pool)
                httpRates.append(Double(alerts) / httpTime.seconds)
                psqlRates.append(Double(alerts) / psqlTime.seconds)
                ratios.append(httpRates[round - 1] / psqlRates[round - 1])
                print(String(format: "round %d: HTTP %.0f alerts/s, psql \\copy %.0f alerts/s, ratio %.2f",
                             round, httpRates[round - 1], psqlRates[round - 1], ratios[round - 1]))
            }
            try await pool.withConnection { try await $0.executeScript("DROP TABLE bench_ingest_alert") }
        } catch {
            try? await client.shutdown()
            await pool.close()
            throw error
        }
        try await client.shutdown()
        await pool.close()
        let each = ratios.map { String(format: "%.2f", $0) }.joined(separator: ", ")
        print(
            String(format: "ingest: %d alerts x %d rounds in batches of %d, %d in flight: median HTTP %.0f alerts/s, psql \\copy %.0f alerts/s, ",
                   alerts, rounds, batchSize, concurrency, median(httpRates), median(psqlRates))
                + String(format: "median ratio %.2f", median(ratios)) + " (rounds: \(each)) (target >= 0.50)")
    }

    /// `count` NDJSON alerts of one source (so each round's alerts are new), spread over 5,000 principals.
    static func makeLines(_ count: Int, source: String) -> [String] {
        (0..<count).map { i in
            """
            {"source":"\(source)","external_id":"\(i)","kind":"cloudtrail","severity":"\(["low", "medium", "high"][i % 3])",\
            "occurred_at":"2026-11-26T12:00:00Z","principal":"arn:aws:iam::123456789012:user/u\(i % 5000)","source_ip":"203.0.113.\(i % 250)",\
            "payload":{"eventSource":"iam.amazonaws.com","eventName":"CreateRole","awsRegion":"us-east-1","userAgent":"aws-cli/2.15.0",\
            "requestParameters":{"roleName":"role-\(i)","path":"/service/"},"eventID":"\(UUID().uuidString.lowercased())"}}
            """
        }
    }

    /// Posts `lines` in NDJSON bodies of `batchSize`, `concurrency` in flight, until every alert is accepted; the time
    /// it took.
    func postAll(_ lines: [String], client: HTTPClient) async throws -> Duration {
        let batches = stride(from: 0, to: lines.count, by: batchSize).map { lines[$0..<min($0 + batchSize, lines.count)].joined(separator: "\n") }
        let endpoint = url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/v1/alerts"
        let (bearer, concurrency, expected) = (token, concurrency, lines.count)
        return try await ContinuousClock().measure {
            try await withThrowingTaskGroup(of: Int.self) { group in
                var next = 0
                func submit() {
                    let body = batches[next]
                    next += 1
                    group.addTask {
                        var request = HTTPClientRequest(url: endpoint)
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/x-ndjson")
                        request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
                        while true {
                            request.body = .bytes(ByteBuffer(string: body))
                            let response = try await client.execute(request, timeout: .seconds(120))
                            let bytes = try await response.body.collect(upTo: 16 << 20)
                            if response.status.code == 429 || response.status.code == 503 {
                                try await Task.sleep(for: .milliseconds(200))
                                continue
                            }
                            guard response.status == .ok else { throw ValidationError("HTTP \(response.status.code)") }
                            return (try JSONParser().parse(bytes.readableBytesView))["accepted"]?.intValue.map(Int.init) ?? 0
                        }
                    }
                }
                for _ in 0..<min(concurrency, batches.count) { submit() }
                var accepted = 0
                while let done = try await group.next() {
                    accepted += done
                    if next < batches.count { submit() }
                }
                guard accepted == expected else { throw ValidationError("accepted \(accepted) of \(expected)") }
            }
        }
    }

    /// The baseline: the same alerts as rows of `bench_ingest_alert`, a table shaped like `alert` (same columns,
    /// defaults, primary key and indexes) holding the earlier rounds' baseline rows, written to a COPY file once
    /// (untimed), then loaded by one `psql \copy`; the time it took. The table is then vacuumed and analysed (untimed),
    /// as the HTTP load's tables are, so its autovacuum does not run during the next round's HTTP load.
    func copyWithPsql(_ lines: [String], source: String, configuration: PostgresConfiguration, pool: PostgresPool) async throws -> Duration {
        var writer = PostgresCopyRowWriter()
        var decoderConfiguration = IngestDecoder.Configuration()
        decoderConfiguration.maxItems = lines.count
        let decoder = try IngestDecoder(configuration: decoderConfiguration)
        let batch = try decoder.decode(body: Array(lines.joined(separator: "\n").utf8), contentType: "application/x-ndjson", now: Date())
        let router = ShardRouter(shardCount: 64)!
        for (_, decoded) in batch.accepted {
            AlertIngestStore.writeAlert(decoded, shard: router.shard(for: decoded.alert), id: UUID.v7(), to: &writer)
            writer.endRow()
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bench-ingest-\(getpid()).tsv")
        try Data(writer.buffer).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let psqlTime = try await ContinuousClock().measure {
            try await ChildProcess.run([
                psql, configuration.connectionString, "-v", "ON_ERROR_STOP=1", "-qAtc",
                "\\copy bench_ingest_alert (shard, id, source, external_id, kind, severity, occurred_at, principal, resource, account, source_ip, payload) FROM '\(file.path)'",
            ])
        }
        let counted = try await pool.query("SELECT count(*) AS n FROM bench_ingest_alert WHERE source = $1", [source])[0].decode(Int.self, column: "n")
        guard counted == lines.count else { throw ValidationError("psql loaded \(counted) rows, expected \(lines.count)") }
        // The next round starts from a checkpoint of its own.
        try await pool.withConnection { try await $0.executeScript("VACUUM ANALYZE bench_ingest_alert") }
        return psqlTime
    }
}
