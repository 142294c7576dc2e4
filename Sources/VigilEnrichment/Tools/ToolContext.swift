import Foundation
import VigilCore
import VigilPostgres

/// What the tools read from and how much they return.
public struct ToolContext: Sendable {
    public var pool: PostgresPool
    /// The investigation's "now": windows such as `hours_back` end here (tests and replays set it to the data's time).
    public var now: @Sendable () -> Date
    /// Evidence records per answer (the rest are counted, not listed).
    public var evidenceLimit: Int
    /// Rows per aggregate list (top event names, addresses, …).
    public var topLimit: Int
    /// How far back a principal's or address's baseline reaches.
    public var baselineDays: Int

    public init(
        pool: PostgresPool, now: @escaping @Sendable () -> Date = { Date() }, evidenceLimit: Int = 20, topLimit: Int = 10,
        baselineDays: Int = 90
    ) {
        self.pool = pool
        self.now = now
        self.evidenceLimit = evidenceLimit
        self.topLimit = topLimit
        self.baselineDays = baselineDays
    }
}

extension JSONValue {
    /// A string, or null.
    static func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
    /// An RFC 3339 time, or null.
    static func time(_ value: Date?) -> JSONValue { value.map { .string(RFC3339.format($0)) } ?? .null }
    static func count(_ value: Int) -> JSONValue { .int(Int64(value)) }
}
