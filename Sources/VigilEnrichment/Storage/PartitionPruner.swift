import Foundation
import VigilPostgres

/// Drops whole day partitions of the event tables once they are past retention.
public struct PartitionPruner: Sendable {
    /// The day-partitioned tables; the summaries of CloudTrail events (per principal, per address) lose the same days as
    /// the events, in the same transaction.
    public static let tables = ["cloudtrail_event", "cloudtrail_principal_activity", "cloudtrail_address_activity", "vpc_flow", "auth_event"]

    public var pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// Drops the partitions whose day ends at or before `cutoff`; returns the dropped tables' names.
    public func prune(before cutoff: Date) async throws -> [String] {
        try await pool.withTransaction { connection in
            var dropped: [String] = []
            for table in Self.tables {
                let result = try await connection.query("SELECT vigil_drop_day_partitions($1, $2) AS name", [table, cutoff])
                dropped += try result.map { try $0.decode(String.self, column: "name") }
            }
            return dropped
        }
    }

    /// Reads `90d`, `12h`, `30m` as a duration; nil for anything else.
    public static func parseAge(_ text: String) -> Duration? {
        guard let unit = text.last, let value = Int(text.dropLast()), value >= 0 else { return nil }
        switch unit {
        case "d": return .seconds(value * 86_400)
        case "h": return .seconds(value * 3600)
        case "m": return .seconds(value * 60)
        default: return nil
        }
    }
}
