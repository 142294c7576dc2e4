/// Maps alerts to shards: `shard = XXH64(routing key) mod S`.
///
/// S is fixed when the cluster is created (`vigil migrate --shards`) and never changes, and neither does the
/// hash (see ``XXHash64``): a shard number computed today is the shard number forever.
public struct ShardRouter: Sendable, Hashable {
    /// The number of shards, S ≥ 1.
    public let shardCount: Int

    /// A router over `shardCount` shards; nil unless `1 ≤ shardCount ≤ 1 << 20`.
    public init?(shardCount: Int) {
        guard shardCount >= 1, shardCount <= ShardRouter.maxShardCount else { return nil }
        self.shardCount = shardCount
    }

    /// The largest shard count accepted.
    public static let maxShardCount = 1 << 20

    /// The shard (0 ..< ``shardCount``) of a routing key.
    public func shard(for key: RoutingKey) -> Int {
        shard(forHash: key.hash)
    }

    /// The shard (0 ..< ``shardCount``) of an alert, by its ``RoutingKey``.
    public func shard(for alert: Alert) -> Int {
        shard(for: RoutingKey(for: alert))
    }

    /// The shard of a precomputed hash: `hash mod S`, unsigned.
    public func shard(forHash hash: UInt64) -> Int {
        Int(hash % UInt64(shardCount))
    }
}
