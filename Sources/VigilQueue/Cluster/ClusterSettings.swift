import VigilPostgres

/// The cluster-wide settings fixed at creation: the shard count S.
public enum ClusterSettings {
    /// S when `vigil migrate` is not told otherwise.
    public static let defaultShardCount = 64

    static let setIfUnset = "UPDATE cluster SET shard_count = $1 WHERE shard_count IS NULL"
    static let select = "SELECT shard_count FROM cluster"

    /// Sets the shard count on a new cluster, or checks it on an existing one.
    ///
    /// - Parameter requested: the count asked for; nil keeps an existing one (or sets the default on a new cluster).
    /// - Returns: the cluster's shard count.
    /// - Throws: `.migration` when the cluster already has a different count (S never changes), or it is out of range.
    @discardableResult
    public static func ensureShardCount(_ pool: PostgresPool, requested: Int?) async throws -> Int {
        if let requested, !(1...65536).contains(requested) {
            throw PostgresError(code: .migration, message: "the shard count must be between 1 and 65536")
        }
        try await pool.query(setIfUnset, [requested ?? defaultShardCount])
        guard let current = try await pool.query(select).first.map({ try $0.decode(Int.self, column: "shard_count") }) else {
            throw PostgresError(code: .migration, message: "the cluster table is empty: run vigil migrate")
        }
        if let requested, requested != current {
            throw PostgresError(
                code: .migration,
                message: "the cluster was created with \(current) shards; the shard count cannot change (asked for \(requested))"
            )
        }
        return current
    }
}
