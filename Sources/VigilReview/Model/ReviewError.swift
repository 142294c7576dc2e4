/// A review action or query that could not be carried out.
///
/// `description` names the code and a message that never quotes alert data, reasons or assignees.
public struct ReviewError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }
        /// No escalation (ESCALATE verdict) with that alert id.
        public static let notFound = Code("not_found")
        /// The caller acted on a version that is no longer current; ``ReviewError/currentVersion`` has the current one.
        public static let versionConflict = Code("version_conflict")
        /// The action is not allowed in the escalation's current state (closing a closed one, …).
        public static let invalidTransition = Code("invalid_transition")
        /// A required argument is missing or malformed; ``ReviewError/field`` names it.
        public static let invalidArgument = Code("invalid_argument")
    }

    public var code: Code
    public var message: String
    /// The argument at fault, for ``Code/invalidArgument``.
    public var field: String?
    /// The escalation's current version, for ``Code/versionConflict``.
    public var currentVersion: Int64?

    public init(_ code: Code, _ message: String, field: String? = nil, currentVersion: Int64? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.currentVersion = currentVersion
    }

    public var description: String { "ReviewError(\(code)): \(message)" }
}
