import ArgumentParser
import Foundation
import VigilCore
import VigilPostgres

/// `vigil bench copy`: Vigil's COPY path against `psql \copy` of the same rows into the same server.
struct CopyBenchmarkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Bulk-load alert-like rows through Vigil's COPY path and through psql \\copy; print rows/s and the ratio."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Rows per load.")
    var rows = 500_000

    @Option(help: "Loads of each kind, alternating; the median is reported.")
    var rounds = 3

    @Option(help: "The psql program.")
    var psql = "psql"

    static let createTable = """
        DROP TABLE IF EXISTS bench_copy_alert;
        CREATE TABLE bench_copy_alert (
            shard integer NOT NULL,
            source text NOT NULL,
            external_id text NOT NULL,
            payload jsonb NOT NULL
        );
        CREATE UNIQUE INDEX bench_copy_alert_key ON bench_copy_alert (source, external_id);
        """

    struct Row: Sendable {
        var shard: Int64
        var source: String
        var externalID: String
        var payload: String
    }

    /// Alert-like rows with a ~350-byte CloudTrail-style JSON payload.
    static func makeRows(_ count: Int) -> [Row] {
        (0..<count).map { i in
            let payload = """
                {"eventVersion":"1.08","eventTime":"2026-11-26T12:\(String(format: "%02d", i % 60)):00Z","eventSource":"iam.amazonaws.com",\
                "eventName":"\(["CreateRole", "AttachRolePolicy", "GetUser", "ListRoles"][i % 4])","awsRegion":"us-east-1",\
                "sourceIPAddress":"203.0.113.\(i % 250)","userAgent":"aws-cli/2.15.0 Python/3.11",\
                "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/analyst-\(i % 977)","accountId":"123456789012"},\
                "requestParameters":{"roleName":"role-\(i)"},"eventID":"\(UUID().uuidString.lowercased())"}
                """
            return Row(shard: Int64(i % 64), source: "bench", externalID: "ext-\(i)", payload: payload)
        }
    }

    func run() async throws {
        let configuration = try await database.configuration()
        let pool = PostgresPool(configuration: configuration)
        let data = Self.makeRows(rows)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bench-copy-\(getpid()).tsv")
        var writer = PostgresCopyRowWriter()
        for row in data {
            writer.field(row.shard)
            writer.field(row.source)
            writer.field(row.externalID)
            writer.field(row.payload)
            writer.endRow()
        }
        try Data(writer.buffer).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        var vigilRates: [Double] = []
        var psqlRates: [Double] = []
        let clock = ContinuousClock()
        for round in 1...rounds {
            try await pool.withConnection { try await $0.executeScript(Self.createTable) }
            let vigilTime = try await clock.measure {
                let loaded = try await pool.withConnection { connection in
                    try await connection.copyFrom(
                        "COPY bench_copy_alert (shard, source, external_id, payload) FROM STDIN",
                        rows: data
                    ) { row, writer in
                        writer.field(row.shard)
                        writer.field(row.source)
                        writer.field(row.externalID)
                        writer.field(row.payload)
                    }
                }
                guard loaded == rows else { throw ValidationError("COPY loaded \(loaded) rows, expected \(rows)") }
            }
            vigilRates.append(Double(rows) / vigilTime.seconds)

            try await pool.withConnection { try await $0.executeScript(Self.createTable) }
            let psqlTime = try await clock.measure {
                let output = try await ChildProcess.run([
                    psql, configuration.connectionString, "-v", "ON_ERROR_STOP=1", "-qAtc",
                    "\\copy bench_copy_alert (shard, source, external_id, payload) FROM '\(file.path)'",
                ])
                _ = output
            }
            let counted = try await pool.query("SELECT count(*) AS n FROM bench_copy_alert")[0].decode(Int.self, column: "n")
            guard counted == rows else { throw ValidationError("psql loaded \(counted) rows, expected \(rows)") }
            psqlRates.append(Double(rows) / psqlTime.seconds)
            print(String(format: "round %d: vigil %.0f rows/s, psql %.0f rows/s", round, vigilRates.last!, psqlRates.last!))
        }
        try await pool.withConnection { try await $0.executeScript("DROP TABLE IF EXISTS bench_copy_alert") }
        await pool.close()
        let vigil = median(vigilRates)
        let baseline = median(psqlRates)
        print(String(format: "copy: %d rows x %d rounds; median vigil %.0f rows/s, psql \\copy %.0f rows/s, ratio %.2f (target >= 0.90)",
                     rows, rounds, vigil, baseline, vigil / baseline))
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
