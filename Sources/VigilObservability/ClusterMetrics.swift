import VigilCore
import VigilPostgres

/// Cluster-wide series read from the database at scrape time: backlog per shard, the queue's event counters, dead
/// jobs, the webhook outbox and the watch list. The coordinator appends them to its `/metrics`; every coordinator
/// reports the same cluster values, so aggregate them with `max` (not `sum`) across coordinators.
public struct ClusterMetrics: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    static let backlogSQL = """
        SELECT shard, state, count(*), coalesce(extract(epoch FROM now() - min(run_at) FILTER (WHERE state = 'ready' AND run_at <= now())), 0)::float8
        FROM triage_job GROUP BY shard, state ORDER BY shard, state
        """
    static let countersSQL = "SELECT name, value FROM queue_counter ORDER BY name"
    static let totalsSQL = """
        SELECT (SELECT count(*) FROM dead_job), (SELECT count(*) FROM webhook_outbox), (SELECT count(*) FROM webhook_dead_letter),
               (SELECT count(*) FROM monitor_watch WHERE escalated_by IS NULL)
        """

    /// The series as exposition text; when the database cannot be read, only `vigil_database_up 0`.
    public func exposition() async -> String {
        var text = Exposition()
        do {
            let backlog = try await pool.query(Self.backlogSQL)
            let counters = try await pool.query(Self.countersSQL)
            let totals = try await pool.query(Self.totalsSQL)[0]
            text.header(MetricName.backlog, "gauge", "Jobs in triage_job by shard and state.")
            var oldest: [(Int, Double)] = []
            for row in backlog {
                let shard = try row.decode(Int.self, at: 0)
                let state = try row.decode(String.self, at: 1)
                text.sample(MetricName.backlog, ["shard": "\(shard)", "state": state], Double(try row.decode(Int.self, at: 2)))
                let age = try row.decode(Double.self, at: 3)
                if age > 0 { oldest.append((shard, age)) }
            }
            text.header(MetricName.oldestReady, "gauge", "Age of the oldest due ready job by shard.")
            for (shard, age) in oldest { text.sample(MetricName.oldestReady, ["shard": "\(shard)"], age) }
            text.header(MetricName.queueEvents, "counter", "Cluster-wide queue events (queue_counter).")
            for row in counters {
                text.sample(MetricName.queueEvents, ["event": try row.decode(String.self, at: 0)], Double(try row.decode(Int64.self, at: 1)))
            }
            let gauges: [(String, String)] = [
                (MetricName.deadJobs, "Rows in dead_job."), (MetricName.webhookPending, "Webhook notifications waiting in the outbox."),
                (MetricName.webhookDeadLetters, "Webhook notifications dead-lettered."),
                (MetricName.monitorWatchOpen, "Open MONITOR watch-list entries."),
            ]
            for (index, (name, help)) in gauges.enumerated() {
                text.header(name, "gauge", help)
                text.sample(name, [:], Double(try totals.decode(Int.self, at: index)))
            }
            text.header(MetricName.databaseUp, "gauge", "1 when the scrape reached the database.")
            text.sample(MetricName.databaseUp, [:], 1)
        } catch {
            text = Exposition()
            text.header(MetricName.databaseUp, "gauge", "1 when the scrape reached the database.")
            text.sample(MetricName.databaseUp, [:], 0)
        }
        return text.text
    }
}

/// Builds Prometheus text-format lines.
struct Exposition {
    var text = ""

    mutating func header(_ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, _ labels: [String: String], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.keys.sorted().map { "\($0)=\"\(Self.escape(labels[$0]!))\"" }.joined(separator: ",") + "}"
        }
        text += " \(value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value))\n"
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
