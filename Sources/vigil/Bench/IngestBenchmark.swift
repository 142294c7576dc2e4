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

    @Option(help: "The psql program.")
    var psql = "psql"

    func run() async throws {
        let runID = UUID().uuidString.prefix(8).lowercased()
        let lines = (0..<alerts).map { i in
            """
            {"source":"bench-\(runID)","external_id":"\(i)","kind":"cloudtrail","severity":"\(["low", "medium", "high"][i % 3])",\
            "occurred_at":"2026-11-26T12:00:00Z","principal":"arn:aws:iam::123456789012:user/u\(i % 5000)","source_ip":"203.0.113.\(i % 250)",\
            "payload":{"eventSource":"iam.amazonaws.com","eventName":"CreateRole","awsRegion":"us-east-1","userAgent":"aws-cli/2.15.0",\
            "requestParameters":{"roleName":"role-\(i)","path":"/service/"},"eventID":"\(UUID().uuidString.lowercased())"}}
            """
        }
        let batches = stride(from: 0, to: lines.count, by: batchSize).map { lines[$0..<min($0 + batchSize, lines.count)].joined(separator: "\n") }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let clock = ContinuousClock()
        let endpoint = url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/v1/alerts"
        let bearer = token
        let httpTime = try await clock.measure {
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
                guard accepted == alerts else { throw ValidationError("accepted \(accepted) of \(alerts)") }
            }
        }
        try await client.shutdown()

        // The baseline: the same alerts, as rows of a table shaped like `alert`, through psql \copy.
        let configuration = try await database.configuration()
        let pool = PostgresPool(configuration: configuration)
        try await pool.withConnection { connection in
            try await connection.executeScript("DROP TABLE IF EXISTS bench_ingest_alert; CREATE TABLE bench_ingest_alert (LIKE alert INCLUDING ALL)")
        }
        var writer = PostgresCopyRowWriter()
        var decoderConfiguration = IngestDecoder.Configuration()
        decoderConfiguration.maxItems = alerts
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
        let psqlTime = try await clock.measure {
            try await ChildProcess.run([
                psql, configuration.connectionString, "-v", "ON_ERROR_STOP=1", "-qAtc",
                "\\copy bench_ingest_alert (shard, id, source, external_id, kind, severity, occurred_at, principal, resource, account, source_ip, payload) FROM '\(file.path)'",
            ])
        }
        try await pool.withConnection { try await $0.executeScript("DROP TABLE bench_ingest_alert") }
        await pool.close()
        let httpRate = Double(alerts) / httpTime.seconds
        let psqlRate = Double(alerts) / psqlTime.seconds
        print(String(format: "ingest: %d alerts in batches of %d, %d in flight: HTTP %.0f alerts/s, psql \\copy %.0f alerts/s, ratio %.2f (target >= 0.50)",
                     alerts, batchSize, concurrency, httpRate, psqlRate, httpRate / psqlRate))
    }
}
