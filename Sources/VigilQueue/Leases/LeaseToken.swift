/// A shard lease as one owner holds it: the shard and the epoch of this ownership — a fencing token.
///
/// Every change of a lease's owner increments its epoch, so a token names one period of ownership. Writes made
/// under a lease (claiming jobs, completing them) must check, in the same statement, that the lease row still
/// has this owner and this epoch; a worker whose lease was taken then cannot write.
public struct LeaseToken: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The shard, 0 ..< S.
    public var shard: Int
    /// The lease's epoch while this owner holds it.
    public var epoch: Int64

    public init(shard: Int, epoch: Int64) {
        self.shard = shard
        self.epoch = epoch
    }

    public static func < (lhs: LeaseToken, rhs: LeaseToken) -> Bool { (lhs.shard, lhs.epoch) < (rhs.shard, rhs.epoch) }

    public var description: String { "shard \(shard)@\(epoch)" }
}
