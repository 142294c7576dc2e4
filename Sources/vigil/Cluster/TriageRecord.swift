import Foundation
import Histogram
import VigilCore
import VigilPostgres
import VigilWorker

/// One alert's verdict as `vigil demo` and `vigil bench e2e` read it back: timings from the database's transaction
/// timestamps and the AI path's audit (when the verdict carries one).
struct TriageRecord: Sendable {
    var alertID: UUID
    var kind: String
    var severity: String
    var principal: String?
    var decision: String
    var decidedBy: String
    /// `rules`, `ai`, … from `triage.path` (else `decided_by`).
    var path: String
    var flags: [String]
    var rationale: String
    var evidence: [JSONValue]
    var triage: JSONValue
    var detections: [JSONValue]
    /// Seconds since 1970 at the ingest transaction and the verdict transaction (their `now()`: their starts).
    var receivedAt: Double
    var decidedAt: Double
    /// The commit timestamps (µs since 1970) of the alert row's and the verdict row's transactions, when read with
    /// `commitTimestamps` (the server needs `track_commit_timestamp = on`), and the verdict transaction's start.
    var commits: Commits?

    struct Commits: Sendable {
        var ingest: Int64
        var verdictStart: Int64
        var verdict: Int64
    }

    /// Ingest commit → verdict commit, in milliseconds: from the commit timestamps when read, else from the two
    /// transactions' `now()` (their starts: the ingest transaction's own time counts, the verdict's commit does not).
    var latencyMilliseconds: Double {
        if let commits { return Double(commits.verdict - commits.ingest) / 1000 }
        return (decidedAt - receivedAt) * 1000
    }

    /// Where the time went, step by step: needs the commit timestamps and the worker's timeline (`triage.timing`).
    var breakdown: TriageTimeline.Breakdown? {
        guard let commits, let timeline = TriageTimeline(json: triage[TriageTimeline.key]) else { return nil }
        return timeline.breakdown(ingestCommitAt: commits.ingest, verdictStartAt: commits.verdictStart, verdictCommitAt: commits.verdict, audit: audit)
    }

    /// The AI path's audit as the worker stores it (`triage.ai.audit`: snake_case keys, `calls`, `tool_calls`).
    var audit: JSONValue? { triage.value(atPath: "ai.audit") }

    /// True when the AI path ran to a verdict, so its audit holds every model call and tool call.
    var auditIsComplete: Bool { audit?["status"]?.stringValue == "verdict" }

    /// Time inside the model, in milliseconds: the calls' time on the wire (`triage.ai.audit.timing.wire_ms`; rate-limit
    /// waits, encoding, decoding and retry backoff are the system's, not the model's).
    var llmMilliseconds: Double { audit?["timing"]?["wire_ms"]?.doubleValue ?? 0 }

    /// Time inside investigation tools, in milliseconds (`timing.tools_ms`: the tools of one turn run concurrently, so
    /// each turn counts from its first tool's start to its last tool's end).
    var toolMilliseconds: Double { audit?["timing"]?["tools_ms"]?.doubleValue ?? 0 }

    var modelCalls: Int { audit?["calls"]?.arrayValue?.count ?? 0 }
    var costUSD: Double { audit?["cost_usd"]?.doubleValue ?? 0 }
    var inputTokens: Int {
        ["input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"].reduce(0) { $0 + Int(audit?["usage"]?[$1]?.intValue ?? 0) }
    }
    var outputTokens: Int { Int(audit?["usage"]?["output_tokens"]?.intValue ?? 0) }

    /// Authors of the rules behind this alert: the detections that raised it and the worker's own rule hits.
    var ruleAuthors: [String] {
        let hits = (triage["rule_hits"]?.arrayValue ?? []) + detections
        var seen: [String] = []
        for hit in hits {
            guard let author = hit["author"]?.stringValue, let title = hit["title"]?.stringValue else { continue }
            let entry = "\(title) — \(author)"
            if !seen.contains(entry) { seen.append(entry) }
        }
        return seen
    }

    /// The commit timestamps of the alert row, the verdict row, and the verdict transaction's start, in µs since 1970.
    static let commitColumns = """
        , (extract(epoch FROM pg_xact_commit_timestamp(a.xmin)) * 1000000)::int8 AS ingest_commit_us,
          (extract(epoch FROM v.created_at) * 1000000)::int8 AS verdict_start_us,
          (extract(epoch FROM pg_xact_commit_timestamp(v.xmin)) * 1000000)::int8 AS verdict_commit_us
        """

    /// The verdicts of `ids` (alerts without a verdict yet are left out); with `commitTimestamps` (the server must
    /// have `track_commit_timestamp = on`), their commit timestamps too.
    static func fetch(_ pool: PostgresPool, ids: [UUID], commitTimestamps: Bool = false) async throws -> [TriageRecord] {
        var records: [TriageRecord] = []
        for chunk in stride(from: 0, to: ids.count, by: 5000).map({ Array(ids[$0..<min($0 + 5000, ids.count)]) }) {
            let rows = try await pool.query(
                """
                SELECT a.id, a.kind, a.severity, a.principal, v.decision, v.decided_by, v.flags, v.rationale,
                       v.evidence::text AS evidence, v.triage::text AS triage,
                       coalesce(a.payload->'vigil_detections', '[]')::text AS detections,
                       extract(epoch FROM a.received_at)::float8 AS received, extract(epoch FROM v.created_at)::float8 AS decided
                       \(commitTimestamps ? commitColumns : "")
                FROM alert a JOIN verdict v ON v.shard = a.shard AND v.alert_id = a.id
                WHERE a.id = ANY($1::text[]::uuid[])
                """,
                [chunk.map { $0.uuidString.lowercased() }]
            )
            let parser = JSONParser()
            for row in rows {
                var commits: Commits?
                if commitTimestamps, let ingest = try row.decode(Int64?.self, column: "ingest_commit_us"),
                    let verdict = try row.decode(Int64?.self, column: "verdict_commit_us")
                {
                    commits = Commits(ingest: ingest, verdictStart: try row.decode(Int64.self, column: "verdict_start_us"), verdict: verdict)
                }
                let triage = (try? parser.parse(Array(try row.decode(String.self, column: "triage").utf8))) ?? .null
                records.append(TriageRecord(
                    alertID: try row.decode(UUID.self, column: "id"),
                    kind: try row.decode(String.self, column: "kind"),
                    severity: try row.decode(String.self, column: "severity"),
                    principal: try row.decode(String?.self, column: "principal"),
                    decision: try row.decode(String.self, column: "decision"),
                    decidedBy: try row.decode(String.self, column: "decided_by"),
                    path: try triage["path"]?.stringValue ?? row.decode(String.self, column: "decided_by"),
                    flags: try row.decode([String].self, column: "flags"),
                    rationale: try row.decode(String.self, column: "rationale"),
                    evidence: (try? parser.parse(Array(try row.decode(String.self, column: "evidence").utf8)))?.arrayValue ?? [],
                    triage: triage,
                    detections: (try? parser.parse(Array(try row.decode(String.self, column: "detections").utf8)))?.arrayValue ?? [],
                    receivedAt: try row.decode(Double.self, column: "received"),
                    decidedAt: try row.decode(Double.self, column: "decided"),
                    commits: commits
                ))
            }
        }
        return records
    }
}

/// Percentiles of a set of durations (milliseconds), kept in an HDR histogram at microsecond resolution, and the
/// 95 % confidence interval of the p99 (``QuantileInterval``: how far the population's p99 may be from this sample's).
struct LatencySummary: Sendable, CustomStringConvertible {
    var count: Int
    var p50: Double
    var p95: Double
    var p99: Double
    var max: Double
    /// The p99's 95 % interval; a bound is nil when the sample is too small to give it (an upper one needs 368 values).
    var p99Interval: (lower: Double?, upper: Double?)

    init(milliseconds values: [Double]) {
        var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        for value in values { _ = histogram.record(UInt64(Swift.max(0, Swift.min(value * 1000, 3_600_000_000)))) }
        count = values.count
        p50 = values.isEmpty ? 0 : Double(histogram.valueAtPercentile(50)) / 1000
        p95 = values.isEmpty ? 0 : Double(histogram.valueAtPercentile(95)) / 1000
        p99 = values.isEmpty ? 0 : Double(histogram.valueAtPercentile(99)) / 1000
        max = values.isEmpty ? 0 : Double(histogram.max) / 1000
        p99Interval = QuantileInterval(count: values.count, quantile: 0.99).bounds(in: values.sorted())
    }

    var json: JSONValue {
        [
            "count": .int(Int64(count)), "p50_ms": .double(p50), "p95_ms": .double(p95), "p99_ms": .double(p99), "max_ms": .double(max),
            "p99_ci95_ms": ["lower": p99Interval.lower.map(JSONValue.double) ?? .null, "upper": p99Interval.upper.map(JSONValue.double) ?? .null],
        ]
    }

    /// The p99's interval for a report: `10.2–14.8 ms`, or `≥ 10.2 ms` without an upper bound.
    var p99IntervalText: String {
        switch p99Interval {
        case (let lower?, let upper?): String(format: "%.1f–%.1f ms", lower, upper)
        case (let lower?, nil): String(format: "≥ %.1f ms", lower)
        case (nil, let upper?): String(format: "≤ %.1f ms", upper)
        case (nil, nil): "none"
        }
    }

    var description: String { "p50 \(Self.format(p50)), p95 \(Self.format(p95)), p99 \(Self.format(p99))" }

    /// `850 ms`, `1.42 s`.
    static func format(_ milliseconds: Double) -> String {
        milliseconds < 1000 ? String(format: "%.0f ms", milliseconds) : String(format: "%.2f s", milliseconds / 1000)
    }
}
