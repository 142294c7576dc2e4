// Hygiene benchmark: the cost per alert of Vigil's pure safety layer, against a baseline measured in the same run.
//
// Run (release): swift run -c release --scratch-path .build-<name> HygieneBenchmark [path/to/shared/data]
// Baseline: parsing each event's JSON text with JSONParser, which every alert already pays on ingest.
// Reported: median over rounds of µs per event for parse (baseline), hygiene (scrub, detect, redact, bound),
// guardrail evaluation and datamarked rendering, and each as a ratio of the baseline. "hygiene, tool results" is the
// agent's pattern: one session per alert sanitising tool results of 25 events each (the events in file order, so one
// result holds the same principal's and source's events, as `get_cloudtrail_events` returns them). Each hygiene mode
// runs twice per round: sessions sharing one `HygieneMemo`, new at the start of the mode's round (as a worker's
// sessions share the process's), and sessions with none (each session's own memory only, as before the memo).
import Foundation
import VigilCore

func sharedData() -> URL {
    if CommandLine.arguments.count > 1 { return URL(fileURLWithPath: CommandLine.arguments[1]) }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.deletingLastPathComponent().appendingPathComponent("shared/data")
}

func loadEvents(_ data: URL) throws -> [JSONValue] {
    var events: [JSONValue] = []
    let parser = JSONParser(maxDepth: 128, duplicateKeys: .lastWins)
    for folder in ["stratus-red-team", "invictus-ir", "panther-tests"] {
        let dir = data.appendingPathComponent("cloudtrail/\(folder)")
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() {
            let bytes = try Data(contentsOf: dir.appendingPathComponent(file))
            if file.hasSuffix(".json") {
                let value = try parser.parse(bytes)
                events += value["Records"]?.arrayValue ?? value.arrayValue ?? [value]
            } else if file.hasSuffix(".jsonl") {
                for line in bytes.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
                    let value = try parser.parse(line)
                    events.append(value["log"] ?? value)
                }
            }
        }
    }
    return events
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let events = try loadEvents(sharedData())
let texts = events.map(\.jsonText)
let alerts = events.enumerated().map { index, event in
    Alert(
        source: "bench",
        externalID: String(index),
        kind: "cloudtrail",
        severity: .medium,
        occurredAt: Date(timeIntervalSince1970: 0),
        principal: event.value(atPath: "userIdentity.arn")?.stringValue,
        payload: event
    )
}
let clock = ContinuousClock()
let rounds = 7
var sink = 0

func measure(_ body: () -> Void) -> Double {
    let elapsed = clock.measure(body)
    let (seconds, attoseconds) = elapsed.components
    return (Double(seconds) + Double(attoseconds) * 1e-18) * 1e6 / Double(events.count)
}

var parse: [Double] = []
var hygiene: [Double] = []
var hygieneAlone: [Double] = []
var toolResults: [Double] = []
var toolResultsAlone: [Double] = []
let perResult = 25, resultsPerSession = 4
let toolResultValues = stride(from: 0, to: events.count, by: perResult).map { JSONValue.array(Array(events[$0..<min($0 + perResult, events.count)])) }
var guardrails: [Double] = []
var render: [Double] = []
let policy = GuardrailPolicy()
let spotlighter = Spotlighter()
var flagged = 0
for round in 0..<rounds {
    parse.append(
        measure {
            for text in texts {
                if let value = try? JSONParser(maxDepth: 128, duplicateKeys: .lastWins).parse(text) { sink &+= value.typeName.count }
            }
        }
    )
    var reports: [HygieneReport] = []
    var sanitized: [JSONValue] = []
    hygieneAlone.append(
        measure {
            for alert in alerts {
                var session = HygieneSession(memo: nil)
                sink &+= session.sanitize(alert: alert).typeName.count
            }
        }
    )
    let alertMemo = HygieneMemo()
    hygiene.append(
        measure {
            for alert in alerts {
                var session = HygieneSession(memo: alertMemo)
                sanitized.append(session.sanitize(alert: alert))
                reports.append(session.report)
            }
        }
    )
    func sanitizeToolResults(memo: HygieneMemo?) {
        for start in stride(from: 0, to: toolResultValues.count, by: resultsPerSession) {
            var session = HygieneSession(memo: memo)
            for (offset, result) in toolResultValues[start..<min(start + resultsPerSession, toolResultValues.count)].enumerated() {
                sink &+= session.sanitize(result, document: "get_cloudtrail_events#\(offset + 1)").typeName.count
            }
            sink &+= session.report.injectionFindings.count
        }
    }
    toolResultsAlone.append(measure { sanitizeToolResults(memo: nil) })
    let toolMemo = HygieneMemo()
    toolResults.append(measure { sanitizeToolResults(memo: toolMemo) })
    guardrails.append(
        measure {
            for (alert, report) in zip(alerts, reports) { sink &+= policy.evaluate(alert: alert, hygiene: report).count }
        }
    )
    render.append(
        measure {
            for value in sanitized { sink &+= spotlighter.render(value, label: "alert", nonce: "n").utf8.count }
        }
    )
    if round == 0 { flagged = reports.filter(\.injectionSuspected).count }
}

let base = median(parse)
print("events: \(events.count), rounds: \(rounds), injection flagged: \(flagged)")
for (name, values) in [
    ("parse (baseline)", parse), ("hygiene, no memo", hygieneAlone), ("hygiene", hygiene), ("tool results, no memo", toolResultsAlone),
    ("hygiene, tool results", toolResults), ("guardrails", guardrails), ("spotlight render", render),
] {
    let padded = name.padding(toLength: 22, withPad: " ", startingAt: 0)
    print("\(padded) \(String(format: "%8.1f", median(values))) µs/event  \(String(format: "%5.2f", median(values) / base))× baseline")
}
if sink == 42 { print("") }
