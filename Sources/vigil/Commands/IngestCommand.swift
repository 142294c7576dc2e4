import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import VigilCore

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Post alerts from JSON or NDJSON files to a coordinator, in batches, retrying on 429/503.",
        discussion: """
            A .json file holds an array of alerts (or one alert); any other file is NDJSON, one alert a line.
            Retries honour Retry-After. Exits 1 when any alert was rejected (each is listed with its file and line).
            """
    )

    @Argument(help: "Files of alerts.")
    var files: [String]

    @Option(help: "The coordinator's base URL, such as http://127.0.0.1:8080.")
    var url: String

    @Option(help: "A bearer token with the ingest scope (secret); defaults to VIGIL_TOKEN.")
    var token: String?

    @Option(help: "Alerts per request.")
    var batchSize = 1000

    @Option(help: "Attempts per batch before giving up.")
    var maxAttempts = 30

    @Flag(help: "No progress bar.")
    var quiet = false

    func validate() throws {
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1…10000") }
        guard token ?? ProcessInfo.processInfo.environment["VIGIL_TOKEN"] != nil else {
            throw ValidationError("give --token or set VIGIL_TOKEN")
        }
    }

    /// One alert line and where it came from.
    struct Item {
        var file: String
        var line: Int
        var text: String
    }

    func run() async throws {
        let bearer = token ?? ProcessInfo.processInfo.environment["VIGIL_TOKEN"]!
        var items: [Item] = []
        for file in files { items += try Self.read(file) }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var totals = (accepted: 0, duplicates: 0, rejected: 0)
        var rejections: [String] = []
        let progress = ProgressBar(total: items.count, enabled: !quiet && isatty(2) == 1)
        do {
            var start = 0
            while start < items.count {
                let batch = Array(items[start..<min(start + batchSize, items.count)])
                let body = try await post(batch, client: client, bearer: bearer)
                totals.accepted += body["accepted"]?.intValue.map(Int.init) ?? 0
                totals.duplicates += body["duplicates"]?.intValue.map(Int.init) ?? 0
                totals.rejected += body["rejected"]?.intValue.map(Int.init) ?? 0
                for result in body["results"]?.arrayValue ?? [] where result["status"]?.stringValue == "rejected" {
                    guard let index = result["index"]?.intValue.map(Int.init), index < batch.count else { continue }
                    let error = result["error"]
                    rejections.append(
                        "\(batch[index].file):\(batch[index].line): \(error?["field"]?.stringValue ?? "$"): \(error?["reason"]?.stringValue ?? "rejected")"
                    )
                }
                start += batch.count
                progress.update(start)
            }
        } catch {
            progress.finish()
            try? await client.shutdown()
            throw error
        }
        progress.finish()
        try await client.shutdown()
        for rejection in rejections { FileHandle.standardError.write(Data(("rejected " + rejection + "\n").utf8)) }
        print("ingest: \(items.count) alerts: \(totals.accepted) accepted, \(totals.duplicates) duplicates, \(totals.rejected) rejected")
        if totals.rejected > 0 { throw ExitCode(1) }
    }

    /// Posts one batch as NDJSON, retrying on 429, 503 and connection failures.
    func post(_ batch: [Item], client: HTTPClient, bearer: String) async throws -> JSONValue {
        try await AlertPoster(url: url, bearer: bearer, maxAttempts: maxAttempts, client: client)
            .post(batch.map(\.text), label: "\(batch[0].file):\(batch[0].line)")
    }

    /// The alerts of one file, each as one line of JSON text.
    static func read(_ path: String) throws -> [Item] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        if path.hasSuffix(".json") {
            let value: JSONValue
            do {
                value = try JSONParser(maxDepth: 128).parse(data)
            } catch {
                throw ValidationError("\(path): \(error)")
            }
            let elements = value.arrayValue ?? [value]
            return elements.enumerated().map { Item(file: path, line: $0.offset + 1, text: $0.element.jsonText) }
        }
        var items: [Item] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { items.append(Item(file: path, line: number + 1, text: String(line))) }
        }
        return items
    }
}

/// A one-line progress bar on standard error, redrawn at most ten times a second.
final class ProgressBar {
    let total: Int
    let enabled: Bool
    private var lastDraw = Date.distantPast

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func update(_ done: Int) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
        lastDraw = Date()
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total)".utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
