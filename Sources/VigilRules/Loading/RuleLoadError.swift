/// A rule that could not be loaded: the file, the rule and what is wrong with it.
///
/// `description` names the file, the rule id and the problem; it never carries event data.
public struct RuleLoadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is. Callers match on codes; new codes can be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The file could not be read.
        public static let unreadable = Code("unreadable file")
        /// The YAML itself does not parse.
        public static let invalidYAML = Code("invalid YAML")
        /// A required field is missing or has the wrong type.
        public static let invalidField = Code("invalid field")
        /// A modifier the engine does not know, or one used where it does not apply.
        public static let invalidModifier = Code("invalid modifier")
        /// A value that a modifier cannot take (bad regex, CIDR, number, base64 of a wildcard, …).
        public static let invalidValue = Code("invalid value")
        /// The condition does not parse or names unknown detections.
        public static let invalidCondition = Code("invalid condition")
        /// A correlation or filter that names a rule not in the set, or a cycle of references.
        public static let unresolvedReference = Code("unresolved reference")
        /// Two rules with the same id.
        public static let duplicateID = Code("duplicate rule id")
        /// A feature of Sigma the engine does not support; the rule is rejected rather than half-run.
        public static let unsupported = Code("unsupported")
    }

    public var code: Code
    /// The file (or source name) the rule came from.
    public var file: String
    /// The rule's `id`, or its `title` when it has no id, or nil when neither could be read.
    public var ruleID: String?
    /// The 1-based document number within a multi-document file.
    public var document: Int?
    /// What is wrong, naming the detection, field or modifier concerned.
    public var message: String

    public init(code: Code, file: String, ruleID: String? = nil, document: Int? = nil, message: String) {
        self.code = code
        self.file = file
        self.ruleID = ruleID
        self.document = document
        self.message = message
    }

    public var description: String {
        var out = file
        if let document { out += " (document \(document))" }
        if let ruleID { out += " rule \(ruleID)" }
        out += ": \(code): \(message)"
        return out
    }
}

/// All the problems found while loading a rule set.
public struct RuleLoadFailure: Error, Sendable, CustomStringConvertible {
    public var errors: [RuleLoadError]

    public init(errors: [RuleLoadError]) { self.errors = errors }

    public var description: String {
        "\(errors.count) rule load error(s):\n" + errors.map { "  " + $0.description }.joined(separator: "\n")
    }
}

/// A problem in one part of a rule, before the file and rule id are attached.
struct RuleProblem: Error {
    var code: RuleLoadError.Code
    var message: String

    init(_ code: RuleLoadError.Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
