// Ingest decoding throughput: IngestDecoder (parse + validate + dedupe + payload text extraction) against
// two baselines on the same body in the same run: Foundation's JSONSerialization parsing each NDJSON line (no
// validation), and Vigil's JSONParser alone. Built with `swiftc -O` by run.sh, no package changes needed.
//
// Body: NDJSON batches of 1,000 alerts whose payloads are the 310 real CloudTrail events of
// ../shared/data/cloudtrail/stratus-red-team, cycled, with unique external ids.
import Foundation

func buildBody(dataFolder: URL, count: Int) throws -> [UInt8] {
    let folder = dataFolder.appendingPathComponent("cloudtrail/stratus-red-team")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
    var events: [JSONValue] = []
    for file in files {
        events += try JSONParser().parse(Array(Data(contentsOf: folder.appendingPathComponent(file)))).arrayValue ?? []
    }
    precondition(!events.isEmpty, "no events under \(folder.path)")
    var lines: [String] = []
    for i in 0..<count {
        let event = events[i % events.count]
        let alert: JSONValue = [
            "source": "cloudtrail", "external_id": .string("evt-\(i)"), "kind": "cloudtrail", "severity": "medium",
            "occurred_at": event["eventTime"] ?? "2024-07-30T21:31:21Z",
            "principal": event.value(atPath: "userIdentity.arn") ?? .null,
            "account": event["recipientAccountId"] ?? .null,
            "source_ip": event["sourceIPAddress"] ?? .null, "payload": event,
        ]
        lines.append(alert.jsonText)
    }
    return Array(lines.joined(separator: "\n").utf8)
}

/// Runs the candidates round-robin, so that load from other processes falls on all of them alike, and keeps
/// each one's best time.
func measure(rounds: Int, _ candidates: [(label: String, run: () -> Int)]) -> [Double] {
    var best = [Double](repeating: .infinity, count: candidates.count)
    var check = 0
    for _ in 0..<rounds {
        for (index, candidate) in candidates.enumerated() {
            let start = ContinuousClock.now
            check &+= candidate.run()
            let elapsed = start.duration(to: .now)
            best[index] = min(best[index], Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
    }
    print("(check \(check))")
    return best
}

let root = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "../shared/data")
let body = try buildBody(dataFolder: root, count: 1_000)
let decoder = try IngestDecoder()
let now = Date(timeIntervalSince1970: 1_800_000_000)
let rounds = 30
print("body: 1000 alerts, \(body.count) bytes")

let lines = body.split(separator: UInt8(ascii: "\n"))
let candidates: [(label: String, run: () -> Int)] = [
    ("IngestDecoder.decode", { (try! decoder.decode(body: body, contentType: "application/x-ndjson", now: now)).acceptedCount }),
    ("JSONSerialization per line (baseline)", { lines.count { (try? JSONSerialization.jsonObject(with: Data($0))) != nil } }),
    ("JSONParser per line (lower bound)", { lines.count { (try? JSONParser().parse($0)) != nil } }),
]
let best = measure(rounds: rounds, candidates)
for (index, candidate) in candidates.enumerated() {
    let rate = String(format: "%.1f", 1_000 / best[index])
    let mbps = String(format: "%.1f", Double(body.count) / best[index] / 1e6)
    print("\(candidate.label): \(rate) items/s, \(mbps) MB/s (best of \(rounds))")
}
print("speed ratio IngestDecoder : JSONSerialization = \(String(format: "%.2f", best[1] / best[0])) (above 1: IngestDecoder faster)")
print("speed ratio IngestDecoder : JSONParser alone = \(String(format: "%.2f", best[2] / best[0])) (1.0 would mean validation is free)")
