import Foundation
import VigilCore

/// A job this worker claimed: the job row's fencing fields and its alert.
///
/// `(key, attempt)` together with the worker's id and the job's `leaseEpoch` name this one run of the job;
/// every later write about it (heartbeat, completion, retry, hand-back) is fenced on them.
public struct ClaimedJob: Sendable, CustomStringConvertible {
    /// The job's key: its shard and alert id.
    public struct Key: Sendable, Hashable, CustomStringConvertible {
        public var shard: Int
        public var alertID: UUID

        public init(shard: Int, alertID: UUID) {
            self.shard = shard
            self.alertID = alertID
        }

        public var description: String { "\(shard)/\(alertID.uuidString.lowercased())" }
    }

    public var key: Key
    /// This attempt's number, 1-based.
    public var attempt: Int
    public var maxAttempts: Int
    /// The shard lease's epoch the job was claimed under.
    public var leaseEpoch: Int64
    /// The delay before this attempt when it was a retry (for decorrelated jitter).
    public var previousDelay: Duration?
    /// The alert, payload included (never logged: see `Alert.description`).
    public var alert: Alert

    public init(key: Key, attempt: Int, maxAttempts: Int, leaseEpoch: Int64, previousDelay: Duration?, alert: Alert) {
        self.key = key
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.leaseEpoch = leaseEpoch
        self.previousDelay = previousDelay
        self.alert = alert
    }

    public var description: String { "job \(key) attempt \(attempt)@\(leaseEpoch)" }
}
