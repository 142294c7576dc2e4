import VigilCore

/// What a Sigma document says about itself: every metadata field, with the usual ones typed.
public struct SigmaRuleMetadata: Sendable, Hashable {
    public var id: String?
    /// The rule's `name`, which correlations and filters may use instead of the id.
    public var name: String?
    public var title: String
    public var status: String?
    public var description: String?
    public var author: String?
    public var date: String?
    public var modified: String?
    public var level: String?
    public var tags: [String]
    public var references: [String]
    public var falsePositives: [String]
    public var logSource: LogSource
    /// The file the rule came from.
    public var file: String
    /// The whole YAML document, so fields the engine does not interpret are kept as written.
    public var document: JSONValue

    /// The id the engine reports: `id`, else `name`, else `title`.
    public var reportedID: String { id ?? name ?? title }

    init(document: JSONValue, file: String) throws(RuleProblem) {
        guard case .object(let object) = document else { throw RuleProblem(.invalidField, "a rule must be a YAML mapping") }
        func text(_ key: String) throws(RuleProblem) -> String? {
            guard let value = object[key], !value.isNull else { return nil }
            guard let s = value.scalarText else { throw RuleProblem(.invalidField, "'\(key)' must be a scalar") }
            return s
        }
        func list(_ key: String) throws(RuleProblem) -> [String] {
            guard let value = object[key], !value.isNull else { return [] }
            if let s = value.scalarText { return [s] }
            guard let items = value.arrayValue else { throw RuleProblem(.invalidField, "'\(key)' must be a list") }
            var out: [String] = []
            for item in items {
                guard let s = item.scalarText else { throw RuleProblem(.invalidField, "'\(key)' must be a list of strings") }
                out.append(s)
            }
            return out
        }
        guard let title = try text("title"), !title.isEmpty else { throw RuleProblem(.invalidField, "missing 'title'") }
        self.title = title
        self.id = try text("id")
        self.name = try text("name")
        self.status = try text("status")
        self.description = try text("description")
        self.author = try text("author")
        self.date = try text("date")
        self.modified = try text("modified")
        self.level = try text("level")?.lowercased()
        if let level, Severity(rawValue: level) == nil {
            throw RuleProblem(.invalidField, "'level' must be informational, low, medium, high or critical")
        }
        self.tags = try list("tags")
        self.references = try list("references")
        self.falsePositives = try list("falsepositives")
        if let logsource = object["logsource"], !logsource.isNull {
            guard case .object(let ls) = logsource else { throw RuleProblem(.invalidField, "'logsource' must be a mapping") }
            self.logSource = LogSource(
                product: ls["product"]?.scalarText, service: ls["service"]?.scalarText, category: ls["category"]?.scalarText)
        } else {
            self.logSource = LogSource()
        }
        self.file = file
        self.document = document
    }

    /// A hit of this rule on an event.
    func hit(eventID: String?) -> RuleHit {
        RuleHit(ruleID: reportedID, title: title, level: level ?? "medium", tags: tags, author: author, eventID: eventID)
    }
}
