/// A worker process's identity in the `worker` and `shard_lease` tables.
///
/// Compared and ordered by its text; the order decides ties in lease planning, so every worker must see the
/// same ids (use the id the `worker` table holds, e.g. a UUID or `host:pid:start`).
public struct WorkerID: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public static func < (lhs: WorkerID, rhs: WorkerID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { rawValue }
}
