import Foundation

/// An instant on the database server's clock, at PostgreSQL's `timestamptz` resolution (microseconds since
/// the Unix epoch): the timeline of ``LeaseSnapshot`` in production.
///
/// Read `now()`, `expires_at` and `last_heartbeat` from the database into it, so that lease arithmetic never
/// mixes the clocks of different machines.
public struct DatabaseInstant: InstantProtocol, Sendable, Hashable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var unixMicroseconds: Int64

    public init(unixMicroseconds: Int64) {
        self.unixMicroseconds = unixMicroseconds
    }

    /// Microseconds between the Unix epoch and PostgreSQL's, 2000-01-01T00:00:00Z.
    public static let postgresEpochOffset: Int64 = 946_684_800_000_000

    /// From a binary `timestamptz` value (microseconds since 2000-01-01T00:00:00Z).
    public init(postgresMicroseconds: Int64) {
        self.unixMicroseconds = postgresMicroseconds + DatabaseInstant.postgresEpochOffset
    }

    /// From a `Date`, rounded down to the microsecond.
    public init(_ date: Date) {
        self.unixMicroseconds = Int64((date.timeIntervalSince1970 * 1e6).rounded(.down))
    }

    /// The binary `timestamptz` value.
    public var postgresMicroseconds: Int64 { unixMicroseconds - DatabaseInstant.postgresEpochOffset }

    public var date: Date { Date(timeIntervalSince1970: Double(unixMicroseconds) / 1e6) }

    /// Moves by `duration`, truncated to whole microseconds.
    public func advanced(by duration: Duration) -> DatabaseInstant {
        DatabaseInstant(unixMicroseconds: unixMicroseconds + DatabaseInstant.microseconds(duration))
    }

    public func duration(to other: DatabaseInstant) -> Duration {
        .microseconds(other.unixMicroseconds - unixMicroseconds)
    }

    public static func < (lhs: DatabaseInstant, rhs: DatabaseInstant) -> Bool { lhs.unixMicroseconds < rhs.unixMicroseconds }

    public var description: String { "DatabaseInstant(\(unixMicroseconds) µs)" }

    static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
