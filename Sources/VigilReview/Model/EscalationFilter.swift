/// Which escalations a listing returns, and how many.
public struct EscalationFilter: Sendable, Hashable {
    /// Review states to include; empty means all.
    public var states: Set<EscalationState>
    /// Alert severities to include (`low`, `medium`, `high`, `critical`, …); empty means all.
    public var severities: Set<String>
    /// Only escalations of this principal (exact match on the alert's principal).
    public var principal: String?
    /// Only escalations whose verdict is at least this many seconds old.
    public var minAgeSeconds: Int64?
    /// Only escalations whose verdict is at most this many seconds old.
    public var maxAgeSeconds: Int64?
    /// Page size, 1…500 (default 50).
    public var limit: Int
    /// Where the previous page ended (``EscalationPage/nextCursor``); nil for the first page.
    public var cursor: EscalationCursor?

    public init(
        states: Set<EscalationState> = [],
        severities: Set<String> = [],
        principal: String? = nil,
        minAgeSeconds: Int64? = nil,
        maxAgeSeconds: Int64? = nil,
        limit: Int = 50,
        cursor: EscalationCursor? = nil
    ) {
        self.states = states
        self.severities = severities
        self.principal = principal
        self.minAgeSeconds = minAgeSeconds
        self.maxAgeSeconds = maxAgeSeconds
        self.limit = limit
        self.cursor = cursor
    }

    /// Largest page.
    public static let maxLimit = 500

    /// - Throws: ``ReviewError/Code/invalidArgument`` naming the field at fault.
    public func validate() throws(ReviewError) {
        guard (1...Self.maxLimit).contains(limit) else {
            throw ReviewError(.invalidArgument, "'limit' must be 1…\(Self.maxLimit)", field: "limit")
        }
        if let minAgeSeconds, minAgeSeconds < 0 { throw ReviewError(.invalidArgument, "'min_age' must not be negative", field: "min_age") }
        if let maxAgeSeconds, maxAgeSeconds < 0 { throw ReviewError(.invalidArgument, "'max_age' must not be negative", field: "max_age") }
    }
}
