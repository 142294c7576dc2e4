import VigilTestSupport
import Foundation
import Testing
import VigilPostgres
import VigilQueue
import VigilSchema

/// A migrated schema of its own on the test server (`DATABASE_URL`, started by `scripts/test.sh`), with the
/// cluster's shard count set; worker processes reach it through ``processURL``.
struct QueueTestDatabase {
    let schema: String
    let configuration: PostgresConfiguration
    let pool: PostgresPool
    let baseURL: String
    let shardCount: Int

    private static func make(shardCount: Int) async throws -> QueueTestDatabase {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw QueueTestError("DATABASE_URL is not set: run the tests with scripts/test.sh, which starts PostgreSQL")
        }
        var configuration = PostgresConfiguration(connectionString: url)
        let schema = "w_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        let admin = try await PostgresConnection.connect(configuration)
        try await admin.executeScript("CREATE SCHEMA \(schema)")
        await admin.close()
        configuration.searchPath = String(schema)
        configuration.maxConnections = 4
        let pool = PostgresPool(configuration: configuration)
        _ = try await VigilSchema.migrator().migrate(pool)
        try await pool.query("UPDATE cluster SET shard_count = $1", [shardCount])
        return QueueTestDatabase(schema: String(schema), configuration: configuration, pool: pool, baseURL: url, shardCount: shardCount)
    }

    /// Runs `body` with a fresh schema of `shardCount` shards, then drops it,
    /// after a return and after a throw alike (then rethrows).
    static func with<T>(shardCount: Int, _ body: (QueueTestDatabase) async throws -> T) async throws -> T {
        try await withCleanup(make(shardCount: shardCount), cleanup: { await $0.drop() }, body)
    }

    /// The URL a `vigil worker` process uses: the server's, with this schema as its search path.
    var processURL: String {
        baseURL + (baseURL.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
    }

    private func drop() async {
        await pool.close()
        if let admin = try? await PostgresConnection.connect(PostgresConfiguration(connectionString: baseURL)) {
            try? await admin.executeScript("DROP SCHEMA IF EXISTS \(schema) CASCADE")
            await admin.close()
        }
    }

    /// Enqueues `count` alerts as the coordinator would (alert, alert_key, ready job), round-robin over the
    /// shards, then notifies every shard once. Returns nothing; ids are read back from the tables.
    func enqueue(_ count: Int, prefix: String = "a", maxAttempts: Int = 5) async throws {
        try await pool.query(
            """
            WITH a AS (
                INSERT INTO alert (shard, id, source, external_id, kind, severity, occurred_at, principal, payload)
                SELECT g % $2, gen_random_uuid(), 'test', $3 || g, 'test_kind', 'high', now(), 'user-' || g,
                    jsonb_build_object('n', g)
                FROM generate_series(1, $1::int) g
                RETURNING shard, id, source, external_id
            ), k AS (
                INSERT INTO alert_key (key_shard, source, external_id, shard, alert_id)
                SELECT shard, source, external_id, shard, id FROM a
            )
            INSERT INTO triage_job (shard, alert_id, max_attempts) SELECT shard, id, $4 FROM a
            """, [count, shardCount, prefix, maxAttempts])
        try await pool.query("SELECT pg_notify('vigil_jobs', s::text) FROM generate_series(0, $1::int - 1) s", [shardCount])
    }

    /// Takes every shard's free lease for `workerID` (epoch 1 each), as the first worker of a cluster would.
    func takeAllLeases(as workerID: WorkerID, duration: Duration = .seconds(60)) async throws -> [LeaseToken] {
        let store = ShardLeaseStore(pool: pool, workerID: workerID)
        _ = try await store.prepare()
        var leases: [LeaseToken] = []
        for shard in 0..<shardCount {
            leases.append(try #require(try await store.take(shard: shard, expectedEpoch: 0, from: nil, duration: duration)))
        }
        return leases
    }

    func count(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> Int {
        try await pool.query(sql, parameters)[0].decode(Int.self, at: 0)
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
    func waitUntil(timeout: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}

struct QueueTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
