/// One match of a detection rule on an event or alert.
///
/// The Detection Rule License of SigmaHQ's rules requires `author` to be shown wherever a match is shown.
public struct RuleHit: Sendable, Hashable, Codable {
    /// The rule's `id` (a UUID for Sigma rules, `vigil.…` for built-ins).
    public var ruleID: String
    public var title: String
    /// The rule's level: `informational`, `low`, `medium`, `high`, `critical`.
    public var level: String
    /// The rule's tags, ATT&CK ones among them (`attack.persistence`, `attack.t1098`).
    public var tags: [String]
    public var author: String?
    /// The matched event's id (CloudTrail `eventID`), when there is one.
    public var eventID: String?

    public init(ruleID: String, title: String, level: String, tags: [String] = [], author: String? = nil, eventID: String? = nil) {
        self.ruleID = ruleID
        self.title = title
        self.level = level
        self.tags = tags
        self.author = author
        self.eventID = eventID
    }
}
