import Foundation
import VigilCore
import VigilPostgres

/// One accepted alert on its way into the tables.
struct IngestRow: Sendable {
    var shard: Int
    var id: UUID
    /// `id` as PostgreSQL prints it, for matching returned ids and for the response.
    var idText: String
    var keyShard: Int
    var decoded: DecodedAlert
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

    /// The idempotency keys of a batch whose keys may not all be new, in key order (so concurrent batches with
    /// overlapping keys take their row locks in the same order and cannot deadlock): a key already held, or being
    /// inserted by a concurrent transaction, is skipped (after that transaction ends). Returns the ids of the keys
    /// inserted now. Byte order (`COLLATE "C"`), the order ``copyKeys`` is sent in.
    static let insertKeys = """
        INSERT INTO alert_key (key_shard, source, external_id, shard, alert_id)
        SELECT k.key_shard, k.source, k.external_id, k.shard, k.alert_id
        FROM unnest($1::int4[], $2::text[], $3::text[], $4::int4[], $5::uuid[]) AS k (key_shard, source, external_id, shard, alert_id)
        ORDER BY k.key_shard, k.source COLLATE "C", k.external_id COLLATE "C"
        ON CONFLICT DO NOTHING
        RETURNING alert_id::text AS id
        """

    /// The idempotency keys of a batch, tried first as if all were new (the usual case), by COPY in key order: about
    /// half the server's work of ``insertKeys``. A key already held, or inserted meanwhile by a concurrent
    /// transaction, fails the COPY with a unique violation; the batch then rolls back to before it and takes
    /// ``insertKeys``.
    static let copyKeys = "COPY alert_key (key_shard, source, external_id, shard, alert_id) FROM STDIN"

    /// Whether `a`'s key sorts before `b`'s in the order both key statements take their locks: key shard, then source
    /// and external id by their UTF-8 bytes.
    static func keyPrecedes(_ a: IngestRow, _ b: IngestRow) -> Bool {
        // Field by field, not through copies of the alerts: a copy retains and releases each of their strings.
        if a.keyShard != b.keyShard { return a.keyShard < b.keyShard }
        if a.decoded.alert.source != b.decoded.alert.source {
            return a.decoded.alert.source.utf8.lexicographicallyPrecedes(b.decoded.alert.source.utf8)
        }
        return a.decoded.alert.externalID.utf8.lexicographicallyPrecedes(b.decoded.alert.externalID.utf8)
    }

    /// The script that begins an ingest transaction: the savepoint ``copyNewKeys`` rolls back to is taken in the same
    /// round trip (and never released: it ends with the transaction).
    static let begin = "BEGIN; SAVEPOINT alert_keys"

    /// COPYs the keys of `rows` in key order, inside the savepoint ``begin`` took: true when every key was new and is
    /// now held; false when one was not (a unique violation), with the transaction back as it was before.
    static func copyNewKeys(_ rows: [IngestRow], on connection: PostgresConnection) async throws -> Bool {
        // Positions sorted, not the rows: an `IngestRow` is a dozen strings to retain and release on every move.
        let ordered = rows.indices.sorted { keyPrecedes(rows[$0], rows[$1]) }
        do {
            _ = try await connection.copyFrom(copyKeys, rows: ordered) { position, writer in
                writer.field(Int64(rows[position].keyShard))
                writer.field(rows[position].decoded.alert.source)
                writer.field(rows[position].decoded.alert.externalID)
                writer.field(Int64(rows[position].shard))
                writer.field(rows[position].id)
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            try await connection.executeScript("ROLLBACK TO SAVEPOINT alert_keys")
            return false
        }
        return true
    }

    /// The alerts whose keys were inserted, streamed straight into `alert` (parsed once, by COPY).
    static let copyAlerts = """
        COPY alert (shard, id, source, external_id, kind, severity, occurred_at,
                    principal, resource, account, source_ip, payload) FROM STDIN
        """

    /// Writes one alert's fields in ``copyAlerts``'s column order (without ending the row). The ingest benchmark's
    /// `psql \copy` baseline writes its rows with it too, so both store the same text.
    public static func writeAlert(_ decoded: DecodedAlert, shard: Int, id: UUID, to writer: inout PostgresCopyRowWriter) {
        let alert = decoded.alert
        writer.field(Int64(shard))
        writer.field(id)
        writer.field(alert.source)
        writer.field(alert.externalID)
        writer.field(alert.kind)
        writer.field(alert.severity.rawValue)
        writer.field(alert.occurredAt)
        writer.field(alert.principal)
        writer.field(alert.resource)
        writer.field(alert.account)
        writer.field(alert.sourceIP)
        writer.field(decoded.payloadJSON)
    }

    /// Their ready jobs (the other columns take their defaults). An INSERT, not a COPY: for a thousand narrow rows
    /// the server's setting-up of a COPY (a tuple slot per buffered row, each tracked by its resource owner) costs
    /// more than the rows, and this statement took about 15% less of its CPU.
    static let insertJobs = "INSERT INTO triage_job (shard, alert_id) SELECT * FROM unnest($1::int4[], $2::uuid[])"

    /// One NOTIFY per shard touched (delivered at commit), run in the COMMIT's round trip. The shard numbers are
    /// integers the router computed, the only values ever written into this text.
    static func notifyShards(_ shards: [Int]) -> String {
        "SELECT count(pg_notify('\(JobStore.channel)', s::text)) AS notified FROM unnest('{"
            + shards.map(String.init).joined(separator: ",") + "}'::int4[]) AS s"
    }

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
    /// One transaction: the keys first (``copyKeys``, else ``insertKeys``), then only the new alerts (by COPY) and
    /// their jobs, and the shards' NOTIFYs with the COMMIT; a key already held answers with its alert's id.
    ///
    /// - Throws: ``PostgresError`` when the database fails; then nothing of the batch was stored.
    public func store(_ batch: IngestBatch) async throws -> [Int: IngestResponse.Stored] {
        let accepted = batch.accepted
        guard !accepted.isEmpty else { return [:] }
        let now = Date()
        let ids = UUID.v7(count: accepted.count, now: now)
        let rows = zip(accepted, ids).map { item, id in
            let alert = item.alert.alert
            return IngestRow(
                shard: router.shard(for: alert), id: id, idText: id.postgresText,
                keyShard: keyShard(source: alert.source, externalID: alert.externalID), decoded: item.alert)
        }
        return try await pool.withTransaction(begin: Self.begin) { connection in
            // Usually every key is new: then COPY stored them all. Otherwise the returned ids tell which are.
            var inserted = [Bool](repeating: true, count: rows.count)
            if try await !Self.copyNewKeys(rows, on: connection) {
                // Array values built from concrete arrays (specialised encoding, not through `any PostgresEncodable`).
                var insertKeys = PostgresStatement(sql: Self.insertKeys, values: [
                    rows.map(\.keyShard).postgresValue, rows.map(\.decoded.alert.source).postgresValue,
                    rows.map(\.decoded.alert.externalID).postgresValue, rows.map(\.shard).postgresValue, rows.map(\.id).postgresValue,
                ])
                insertKeys.prepared = true
                let insertedIDs = try await connection.run(insertKeys)
                if insertedIDs.count < rows.count {
                    var new = Set<String>()
                    for row in insertedIDs { new.insert(try row.decode(String.self, at: 0)) }
                    for position in rows.indices { inserted[position] = new.contains(rows[position].idText) }
                }
            }
            let new = rows.indices.filter { inserted[$0] }
            var beforeCommit = ""
            if !new.isEmpty {
                try await connection.copyFrom(Self.copyAlerts, rows: new) { position, writer in
                    Self.writeAlert(rows[position].decoded, shard: rows[position].shard, id: rows[position].id, to: &writer)
                }
                var insertJobs = PostgresStatement(sql: Self.insertJobs, values: [
                    new.map { rows[$0].shard }.postgresValue, new.map { rows[$0].id }.postgresValue,
                ])
                insertJobs.prepared = true
                try await connection.run(insertJobs)
                beforeCommit = Self.notifyShards(Array(Set(new.map { rows[$0].shard })).sorted())
            }
            var existing: [String: String] = [:]
            let held = rows.indices.filter { !inserted[$0] }
            if !held.isEmpty {
                let found = try await connection.query(Self.selectExisting, [
                    held.map { rows[$0].id }, held.map { rows[$0].keyShard },
                    held.map { rows[$0].decoded.alert.source }, held.map { rows[$0].decoded.alert.externalID },
                ])
                for row in found {
                    existing[try row.decode(String.self, column: "requested")] = try row.decode(String.self, column: "existing")
                }
            }
            var stored: [Int: IngestResponse.Stored] = [:]
            stored.reserveCapacity(rows.count)
            for (position, item) in accepted.enumerated() {
                if inserted[position] {
                    stored[item.index] = .inserted(id: rows[position].idText)
                } else if let id = existing[rows[position].idText] {
                    stored[item.index] = .existing(id: id)
                } else {
                    throw PostgresError(code: .protocolViolation, message: "an accepted alert was neither inserted nor found")
                }
            }
            return (stored, beforeCommit)
        }
    }
}
