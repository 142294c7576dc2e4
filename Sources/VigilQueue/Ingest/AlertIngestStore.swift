import Foundation
import VigilCore
import VigilPostgres

/// One alert as it is staged for the set-based inserts.
struct StageRow: Sendable {
    var shard: Int
    var id: UUID
    var alert: Alert
    var payload: String
    var keyShard: Int
}

/// Stores validated alerts and their triage jobs: one transaction per batch, acknowledged only after commit.
///
/// Each alert goes to `shard = hash(routing key) mod S` (``ShardRouter``); its idempotency key
/// (`source`, `external_id`) is held in `alert_key`, sharded by a hash of the key itself, so a
/// repeat is found whichever shard the alert routed to. New alerts get a ready `triage_job` row,
/// and one `NOTIFY vigil_jobs` per shard touched tells workers at commit.
public struct AlertIngestStore: Sendable {
    public let pool: PostgresPool
    public let router: ShardRouter

    public init(pool: PostgresPool, router: ShardRouter) {
        self.pool = pool
        self.router = router
    }

    /// The channel workers LISTEN on; the payload is the shard number.
    public static let jobChannel = "vigil_jobs"

    /// A per-connection staging table the batch is streamed into with COPY; emptied at every commit.
    static let createStage = """
        CREATE TEMP TABLE IF NOT EXISTS vigil_ingest_stage (
            shard integer NOT NULL, id uuid NOT NULL, source text NOT NULL, external_id text NOT NULL,
            kind text NOT NULL, severity text NOT NULL, occurred_at timestamptz NOT NULL,
            principal text, resource text, account text, source_ip inet, payload jsonb NOT NULL, key_shard integer NOT NULL
        ) ON COMMIT DELETE ROWS
        """

    static let copyStage = """
        COPY vigil_ingest_stage (shard, id, source, external_id, kind, severity, occurred_at,
                                 principal, resource, account, source_ip, payload, key_shard) FROM STDIN
        """

    /// The existing id of a key already held is looked up (through `alert_key`'s primary key) only for the rows
    /// that were not inserted: a join over all of `alert_key` made the planner hash the whole table on every batch,
    /// a cost that grew with the table.
    static let insertBatch = """
        WITH input AS (
            SELECT * FROM vigil_ingest_stage
        ),
        new_keys AS (
            INSERT INTO alert_key (key_shard, source, external_id, shard, alert_id)
            SELECT key_shard, source, external_id, shard, id FROM input
            ON CONFLICT DO NOTHING
            RETURNING alert_id
        ),
        new_alerts AS (
            INSERT INTO alert (shard, id, source, external_id, kind, severity, occurred_at,
                               principal, resource, account, source_ip, payload)
            SELECT i.shard, i.id, i.source, i.external_id, i.kind, i.severity, i.occurred_at,
                   i.principal, i.resource, i.account, i.source_ip, i.payload
            FROM input i JOIN new_keys k ON k.alert_id = i.id
            RETURNING shard, id
        ),
        new_jobs AS (
            INSERT INTO triage_job (shard, alert_id)
            SELECT shard, id FROM new_alerts
            RETURNING shard
        ),
        notified AS (
            SELECT count(pg_notify('vigil_jobs', shard::text)) AS n FROM (SELECT DISTINCT shard FROM new_jobs) s
        )
        SELECT i.id::text AS requested, n.alert_id IS NOT NULL AS inserted,
            CASE WHEN n.alert_id IS NULL THEN (
                SELECT k.alert_id::text FROM alert_key k
                WHERE k.key_shard = i.key_shard AND k.source = i.source AND k.external_id = i.external_id
            ) END AS existing
        FROM input i
        LEFT JOIN new_keys n ON n.alert_id = i.id
        CROSS JOIN notified
        """

    /// Keys a concurrent request inserted after this statement's snapshot: read them afresh.
    static let selectExisting = """
        SELECT i.requested::text AS requested, k.alert_id::text AS existing
        FROM unnest($1::uuid[], $2::int4[], $3::text[], $4::text[]) AS i (requested, key_shard, source, external_id)
        JOIN alert_key k ON k.key_shard = i.key_shard AND k.source = i.source AND k.external_id = i.external_id
        """

    /// The shard of an idempotency key.
    public func keyShard(source: String, externalID: String) -> Int {
        router.shard(forHash: XXHash64.hash(source + "\u{1F}" + externalID))
    }

    /// Stores the accepted items of `batch` and returns, for each accepted index, whether it was
    /// inserted or already held (with the existing id).
    ///
    /// - Throws: ``PostgresError`` when the database fails; then nothing of the batch was stored.
    public func store(_ batch: IngestBatch) async throws -> [Int: IngestResponse.Stored] {
        let accepted = batch.accepted
        guard !accepted.isEmpty else { return [:] }
        let ids = accepted.map { _ in UUID.v7() }
        let alerts = accepted.map(\.alert.alert)
        let keyShards = alerts.map { keyShard(source: $0.source, externalID: $0.externalID) }
        let shards = alerts.map { router.shard(for: $0) }
        let rows = (0..<alerts.count).map { StageRow(shard: shards[$0], id: ids[$0], alert: alerts[$0], payload: accepted[$0].alert.payloadJSON, keyShard: keyShards[$0]) }
        return try await pool.withTransaction { connection in
            try await connection.executeScript(Self.createStage)
            try await connection.copyFrom(Self.copyStage, rows: rows) { row, writer in
                writer.field(Int64(row.shard))
                writer.field(row.id)
                writer.field(row.alert.source)
                writer.field(row.alert.externalID)
                writer.field(row.alert.kind)
                writer.field(row.alert.severity.rawValue)
                writer.field(row.alert.occurredAt)
                writer.field(row.alert.principal)
                writer.field(row.alert.resource)
                writer.field(row.alert.account)
                writer.field(row.alert.sourceIP)
                writer.field(row.payload)
                writer.field(Int64(row.keyShard))
            }
            let rows = try await connection.query(Self.insertBatch)
            var byRequested: [String: IngestResponse.Stored] = [:]
            var unresolved: [Int] = []
            for row in rows {
                let requested = try row.decode(String.self, column: "requested")
                if try row.decode(Bool.self, column: "inserted") {
                    byRequested[requested] = .inserted(id: requested)
                } else if let existing = try row.decode(String?.self, column: "existing") {
                    byRequested[requested] = .existing(id: existing)
                }
            }
            for (position, id) in ids.enumerated() where byRequested[id.uuidString.lowercased()] == nil {
                unresolved.append(position)
            }
            if !unresolved.isEmpty {
                let again = try await connection.query(Self.selectExisting, [
                    unresolved.map { ids[$0] },
                    unresolved.map { keyShards[$0] },
                    unresolved.map { alerts[$0].source },
                    unresolved.map { alerts[$0].externalID },
                ])
                for row in again {
                    byRequested[try row.decode(String.self, column: "requested")] = .existing(id: try row.decode(String.self, column: "existing"))
                }
            }
            var stored: [Int: IngestResponse.Stored] = [:]
            for (position, item) in accepted.enumerated() {
                guard let outcome = byRequested[ids[position].uuidString.lowercased()] else {
                    throw PostgresError(code: .protocolViolation, message: "an accepted alert was neither inserted nor found")
                }
                stored[item.index] = outcome
            }
            return stored
        }
    }
}
