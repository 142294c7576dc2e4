/// What the shard-lease state machine asks its I/O shell to do.
///
/// Each write is a compare-and-set on the lease row; the shell performs it in one statement and reports the
/// outcome back (``ShardLeaseStateMachine/acquired(_:at:)``, ``ShardLeaseStateMachine/renewed(_:requested:at:)``,
/// ``ShardLeaseStateMachine/released(_:)``). A failed compare-and-set is normal (another worker won a race):
/// the next tick plans again from a fresh snapshot. The SQL predicates below are the contract.
public enum LeaseAction: Sendable, Hashable {
    /// Extend these held leases:
    /// `UPDATE shard_lease SET expires_at = now() + $duration WHERE owner = $me AND (shard, epoch) IN (tokens)
    /// RETURNING shard, epoch`. The epoch does not change. Report the returned rows with `renewed(_:requested:at:)`.
    case renew([LeaseToken])
    /// Take a lease nobody holds, or whose holder let it expire:
    /// `UPDATE shard_lease SET owner = $me, epoch = epoch + 1, expires_at = now() + $duration
    /// WHERE shard = $shard AND epoch = $expectedEpoch AND (owner IS NULL OR expires_at <= now())`
    /// (`INSERT … ON CONFLICT DO NOTHING` first when the row may be missing, with epoch 0). On success the new
    /// token is (shard, expectedEpoch + 1).
    case acquire(shard: Int, expectedEpoch: Int64)
    /// Take a lease from `from`, who holds more than its share or is no longer a live worker:
    /// `UPDATE shard_lease SET owner = $me, epoch = epoch + 1, expires_at = now() + $duration
    /// WHERE shard = $shard AND epoch = $expectedEpoch AND owner = $from`. On success the new token is
    /// (shard, expectedEpoch + 1). `from`'s in-flight work on the shard is fenced off by the new epoch.
    case steal(shard: Int, from: WorkerID, expectedEpoch: Int64)
    /// Give up a held lease (above this worker's share, or shutting down). First stop claiming from the shard
    /// and hand its unfinished jobs back, then:
    /// `UPDATE shard_lease SET owner = NULL, epoch = epoch + 1 WHERE shard = $shard AND epoch = $expectedEpoch
    /// AND owner = $me`. Whether or not a row changed, the lease is no longer this worker's.
    case release(shard: Int, expectedEpoch: Int64)
    /// These leases are no longer this worker's (taken by another, or a renewal failed): stop claiming from
    /// them at once; completions of their in-flight jobs will be refused by the epoch fence. No write.
    case lost([LeaseToken])
}
