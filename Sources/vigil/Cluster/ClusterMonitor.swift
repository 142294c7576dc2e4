import AsyncHTTPClient
import Foundation
import Synchronization
import VigilCore
import VigilPostgres

/// Samples a running local cluster: verdicts and dead jobs among a set of alerts, the queue's backlog, the cluster
/// rate limiter's grants and the simulator's counters. Used by `vigil demo`'s progress line and `vigil bench e2e`.
final class ClusterMonitor: Sendable {
    /// The simulator's counters (`GET /stats`).
    struct SimulatorCounters: Sendable {
        var requests = 0
        var served = 0
        var rateLimited = 0
        var inputTokens = 0
        var outputTokens = 0
    }

    struct Snapshot: Sendable {
        var verdicts = 0
        var dead = 0
        var ready = 0
        var running = 0
        /// Requests granted by the cluster rate limiter per minute since the previous sample, and the limit.
        var grantedPerMinute: Double?
        var limitPerMinute: Double?
        var simulator: SimulatorCounters?

        var backlog: Int { ready + running }

        /// `alerts in 420/520 · verdicts 380 · backlog 40 (12 running) · LLM 1,240 req, 3 × 429 · limit 55% of 6000 rpm · 12 s`
        func line(posted: Int, total: Int, elapsed: Double) -> String {
            var parts = ["alerts in \(posted)/\(total)", "verdicts out \(verdicts)", "backlog \(backlog) (\(running) running)"]
            if dead > 0 { parts.append("dead \(dead)") }
            if let simulator { parts.append("LLM \(simulator.requests) requests, \(simulator.rateLimited) × 429") }
            if let granted = grantedPerMinute, let limit = limitPerMinute, limit > 0 {
                parts.append(String(format: "rate limit %.0f%% of %.0f rpm", 100 * granted / limit, limit))
            } else if simulator == nil {
                parts.append("rate limit: no model calls yet")
            }
            parts.append(String(format: "%.0f s", elapsed))
            return parts.joined(separator: " · ")
        }
    }

    let pool: PostgresPool
    let http: HTTPClient
    let simulatorURL: String?
    private let previousGrant = Mutex<(granted: Double, at: ContinuousClock.Instant)?>(nil)

    init(pool: PostgresPool, http: HTTPClient, simulatorURL: String?) {
        self.pool = pool
        self.http = http
        self.simulatorURL = simulatorURL
    }

    /// One sample; `ids` are the alerts whose verdicts count. They are found through `alert`'s index on `id`, and
    /// their verdicts and dead jobs by primary key (shard, alert id): neither table is indexed on the id alone.
    func sample(ids: [UUID]) async throws -> Snapshot {
        var snapshot = Snapshot()
        let texts = ids.map { $0.uuidString.lowercased() }
        let counts = try await pool.query(
            """
            WITH ours AS (SELECT a.shard, a.id FROM alert a WHERE a.id = ANY($1::text[]::uuid[]))
            SELECT (SELECT count(*) FROM ours JOIN verdict v ON v.shard = ours.shard AND v.alert_id = ours.id) AS verdicts,
                   (SELECT count(*) FROM ours JOIN dead_job d ON d.shard = ours.shard AND d.alert_id = ours.id) AS dead,
                   (SELECT count(*) FROM triage_job WHERE state = 'ready') AS ready,
                   (SELECT count(*) FROM triage_job WHERE state = 'running') AS running,
                   (SELECT sum(requests_granted)::float8 FROM llm_rate_limit) AS granted,
                   (SELECT sum(requests_per_minute) FROM llm_rate_limit) AS rpm
            """, [texts])[0]
        snapshot.verdicts = try counts.decode(Int.self, column: "verdicts")
        snapshot.dead = try counts.decode(Int.self, column: "dead")
        snapshot.ready = try counts.decode(Int.self, column: "ready")
        snapshot.running = try counts.decode(Int.self, column: "running")
        if let granted = try counts.decode(Double?.self, column: "granted") {
            snapshot.limitPerMinute = try counts.decode(Double?.self, column: "rpm")
            let now = ContinuousClock.now
            snapshot.grantedPerMinute = previousGrant.withLock { previous in
                defer { previous = (granted, now) }
                guard let previous else { return nil }
                let seconds = (now - previous.at).seconds
                return seconds > 0 ? (granted - previous.granted) * 60 / seconds : nil
            }
        }
        snapshot.simulator = await simulatorCounters()
        return snapshot
    }

    /// The simulator's `GET /stats`, nil without a simulator or when it does not answer.
    func simulatorCounters() async -> SimulatorCounters? {
        guard let simulatorURL,
              let response = try? await http.execute(HTTPClientRequest(url: simulatorURL + "/stats"), timeout: .seconds(5)),
              let body = try? await response.body.collect(upTo: 1 << 20),
              let json = try? JSONParser().parse(body.readableBytesView) else { return nil }
        func int(_ key: String) -> Int { Int(json[key]?.intValue ?? 0) }
        return SimulatorCounters(
            requests: int("total_requests"), served: int("served"), rateLimited: int("rate_limited"),
            inputTokens: int("input_tokens") + int("cache_read_input_tokens") + int("cache_creation_input_tokens"),
            outputTokens: int("output_tokens"))
    }
}
