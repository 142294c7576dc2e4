// Ingest decoding throughput: IngestDecoder (parse + validate + dedupe + payload re-serialisation) against
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

func measure(_ label: String, bytes: Int, items: Int, rounds: Int, _ body: () -> Int) -> Double {
    var best = Double.infinity
    var check = 0
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        check &+= body()
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        best = min(best, seconds)
    }
    let mbps = Double(bytes) / best / 1e6
    let rate = String(format: "%.1f", Double(items) / best)
    print("\(label): \(rate) items/s, \(String(format: "%.1f", mbps)) MB/s (best of \(rounds); check \(check))")
    return best
}

let root = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "../shared/data")
let body = try buildBody(dataFolder: root, count: 1_000)
let decoder = try IngestDecoder()
let now = Date(timeIntervalSince1970: 1_800_000_000)
let rounds = 30
print("body: 1000 alerts, \(body.count) bytes")

let vigil = measure("IngestDecoder.decode", bytes: body.count, items: 1_000, rounds: rounds) {
    let batch = try! decoder.decode(body: body, contentType: "application/x-ndjson", now: now)
    return batch.acceptedCount
}
let lines = body.split(separator: UInt8(ascii: "\n"))
let foundation = measure("JSONSerialization per line (baseline)", bytes: body.count, items: 1_000, rounds: rounds) {
    var n = 0
    for line in lines where (try? JSONSerialization.jsonObject(with: Data(line))) != nil { n += 1 }
    return n
}
let parserOnly = measure("JSONParser per line (lower bound)", bytes: body.count, items: 1_000, rounds: rounds) {
    var n = 0
    for line in lines where (try? JSONParser().parse(line)) != nil { n += 1 }
    return n
}
print("speed ratio IngestDecoder : JSONSerialization = \(String(format: "%.2f", foundation / vigil)) (above 1: IngestDecoder faster)")
print("speed ratio IngestDecoder : JSONParser alone = \(String(format: "%.2f", parserOnly / vigil)) (1.0 would mean validation is free)")
