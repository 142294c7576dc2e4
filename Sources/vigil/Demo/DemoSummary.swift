import Foundation
import VigilCore

/// The summary `vigil demo` prints: verdicts by path, latency, throughput, tokens and cost, the top escalations with
/// their evidence and rule authors, and where the review console is.
struct DemoSummary {
    var records: [TriageRecord]
    var ingested: Int
    var duplicates: Int
    var rejected: Int
    var dead: Int
    var llm: LLMSetup
    var simulator: ClusterMonitor.SimulatorCounters?
    var consoleURL: String
    var top: Int

    /// The summary's lines.
    var lines: [String] {
        var out = ["== vigil demo: summary =="]
        out.append("alerts:      \(ingested) acknowledged (\(duplicates) already known), \(rejected) rejected, "
            + "\(records.count) verdicts, \(dead) dead-lettered")
        out.append("verdicts by path:")
        let paths = Dictionary(grouping: records, by: \.path)
        for path in paths.keys.sorted() {
            let group = paths[path]!
            let counts = ["ESCALATE", "MONITOR", "CLOSE"].map { decision in "\(decision) \(group.filter { $0.decision == decision }.count)" }
            // Flags with the number of verdicts carrying each; `recurrence_of:<id>` flags counted as one kind.
            let kinds = group.flatMap { Set($0.flags.map { $0.hasPrefix("recurrence_of:") ? "recurrence_of" : $0 }) }
            let flags = Dictionary(grouping: kinds, by: { $0 }).map { "\($0.key) \($0.value.count)" }.sorted()
            out.append("  \(path.padding(toLength: 10, withPad: " ", startingAt: 0)) \(counts.joined(separator: "  "))"
                + (flags.isEmpty ? "" : "   (flags: \(flags.joined(separator: ", ")))"))
        }
        let latency = LatencySummary(milliseconds: records.map(\.latencyMilliseconds))
        out.append("latency:     \(latency) (ingest commit → verdict commit)")
        if let first = records.map(\.receivedAt).min(), let last = records.map(\.decidedAt).max(), last > first {
            let rate = Double(records.count) / (last - first)
            out.append(String(format: "throughput:  %.1f alerts/s (%d verdicts in %.1f s)", rate, records.count, last - first))
        }
        let calls = records.reduce(0) { $0 + $1.modelCalls }
        let input = records.reduce(0) { $0 + $1.inputTokens }
        let output = records.reduce(0) { $0 + $1.outputTokens }
        let cost = records.reduce(0) { $0 + $1.costUSD }
        if calls > 0 {
            out.append(String(format: "tokens:      %d model calls, %d input + %d output tokens, cost $%.4f%@", calls, input, output, cost,
                              llm.kind == .simulator ? " (priced as the real model; the simulator charges nothing)" : ""))
        } else {
            out.append("tokens:      none recorded: no verdict came from the AI path (see the workers' logs in .vigil/logs)")
        }
        if let simulator {
            out.append("simulator:   \(simulator.requests) requests, \(simulator.served) answered, \(simulator.rateLimited) × 429, "
                + "\(simulator.inputTokens) input + \(simulator.outputTokens) output tokens")
        }
        out.append("LLM:         \(llm)")
        let escalations = records.filter { $0.decision == "ESCALATE" }.sorted(by: Self.priority)
        // One per principal and leading rule, so the list shows different incidents.
        var seen = Set<String>()
        let shown = escalations.filter { seen.insert("\($0.principal ?? "")|\($0.ruleAuthors.first ?? $0.kind)").inserted }.prefix(top)
        out.append("top escalations (\(shown.count) distinct of \(escalations.count)):")
        for (number, record) in shown.enumerated() {
            let principal = record.principal ?? "no principal"
            out.append("  \(number + 1). [\(record.severity)] \(record.kind) — \(principal) (decided by \(record.decidedBy))")
            out.append("     why: \(Self.clip(record.rationale, 200))")
            for item in record.evidence.prefix(3) {
                out.append("     evidence \(item["id"]?.stringValue ?? "?"): \(Self.clip(item["summary"]?.stringValue ?? "", 160))")
            }
            let authors = record.ruleAuthors
            if !authors.isEmpty { out.append("     rules: \(Self.clip(authors.prefix(3).joined(separator: "; "), 220))") }
        }
        out.append("review console: \(consoleURL)")
        return out
    }

    func print() {
        for line in lines { DemoOutput.line(line) }
    }

    /// Higher severity first, then more rule hits, then the earlier verdict.
    private static func priority(_ a: TriageRecord, _ b: TriageRecord) -> Bool {
        let sa = Severity(lenient: a.severity) ?? .medium
        let sb = Severity(lenient: b.severity) ?? .medium
        if sa != sb { return sa > sb }
        if a.ruleAuthors.count != b.ruleAuthors.count { return a.ruleAuthors.count > b.ruleAuthors.count }
        return a.decidedAt < b.decidedAt
    }

    private static func clip(_ text: String, _ length: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count <= length ? flat : String(flat.prefix(length - 1)) + "…"
    }
}
