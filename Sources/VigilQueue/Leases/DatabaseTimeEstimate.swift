/// Bounds on the database's clock between round trips, from one reading of `now()`.
///
/// The lease state machine works on the database's timeline (``DatabaseInstant``), but between snapshots a
/// worker only has its own monotonic clock. A reading of `now()` taken by a request sent at local `sent` and
/// answered at local `received` happened somewhere in between, so at a later local instant `t` the database's
/// clock reads at least `now() + (t - received)` and at most `now() + (t - sent)` (clock rates assumed equal;
/// ``ShardLeaseStateMachine/Configuration/safetyMargin`` covers their drift).
///
/// Use each bound where erring is safe:
/// - ``earliest(at:)`` as the `at:` of ``ShardLeaseStateMachine/acquired(_:at:)`` and
///   ``ShardLeaseStateMachine/renewed(_:requested:at:)`` (pass the local instant the write was sent): the lease
///   really started no earlier, so the worker never believes in it longer than it lasts;
/// - ``latest(at:)`` as the `at:` of ``ShardLeaseStateMachine/claimableLeases(at:)``: the database is at most
///   this late, so claiming stops in time.
public struct DatabaseTimeEstimate<LocalInstant: InstantProtocol & Sendable>: Sendable where LocalInstant.Duration == Duration {
    /// The database's `now()` as read.
    public let databaseNow: DatabaseInstant
    /// When the reading's request was sent, locally.
    public let sent: LocalInstant
    /// When its answer arrived, locally.
    public let received: LocalInstant

    /// - Precondition: `sent <= received`.
    public init(databaseNow: DatabaseInstant, sent: LocalInstant, received: LocalInstant) {
        precondition(sent <= received, "a reply cannot arrive before its request was sent")
        self.databaseNow = databaseNow
        self.sent = sent
        self.received = received
    }

    /// The earliest the database's clock can read at local instant `local`.
    public func earliest(at local: LocalInstant) -> DatabaseInstant {
        databaseNow.advanced(by: received.duration(to: local))
    }

    /// The latest the database's clock can read at local instant `local`.
    public func latest(at local: LocalInstant) -> DatabaseInstant {
        databaseNow.advanced(by: sent.duration(to: local))
    }

    /// How uncertain the estimate is: the round trip of the reading.
    public var uncertainty: Duration { sent.duration(to: received) }
}
