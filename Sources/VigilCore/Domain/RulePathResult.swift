/// What the deterministic rule path concluded about one alert: the input the merge needs from it.
public struct RulePathResult: Sendable, Hashable, Codable {
    /// The rule path's own recommendation. It is never `CLOSE`: the rule path closes only through ``suppression``.
    public var decision: Decision
    /// Rules that matched the alert or its events.
    public var hits: [RuleHit]
    /// A benign explanation of the behaviour (a known-good automation principal doing what it always does, …),
    /// or nil when the rule path cannot explain it. Without one, an alert the AI could not assess escalates.
    public var explanation: String?
    /// An explicit suppression rule that matched, if any.
    public var suppression: Suppression?
    /// Evidence the rule path produced (its matches), which verdicts may cite.
    public var evidence: [Evidence]

    /// - Parameter decision: a `CLOSE` here is read as `MONITOR`; closing needs a ``Suppression``.
    public init(
        decision: Decision,
        hits: [RuleHit] = [],
        explanation: String? = nil,
        suppression: Suppression? = nil,
        evidence: [Evidence] = []
    ) {
        self.decision = decision == .close ? .monitor : decision
        self.hits = hits
        self.explanation = explanation
        self.suppression = suppression
        self.evidence = evidence
    }
}

/// An explicit, human-written suppression rule that matched an alert: the only way the rule path closes one.
public struct Suppression: Sendable, Hashable, Codable, CustomStringConvertible {
    public var ruleID: String
    /// The written reason, from the suppression's author.
    public var reason: String
    /// Who wrote or approved the suppression.
    public var author: String?

    public init(ruleID: String, reason: String, author: String? = nil) {
        self.ruleID = ruleID
        self.reason = reason
        self.author = author
    }

    public var description: String { "Suppression(\(ruleID))" }
}
