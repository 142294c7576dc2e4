/// What a bearer token may do. `admin` implies every other scope.
public enum Scope: String, Sendable, Hashable, CaseIterable, Codable {
    /// Post alerts.
    case ingest
    /// Read alerts and verdicts.
    case read
    /// Work the escalation queue.
    case review
    /// Everything, including token management.
    case admin
}
