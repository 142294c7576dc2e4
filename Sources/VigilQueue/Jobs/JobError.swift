/// Why a job attempt failed, as kept on the job row and, after the last attempt, in `dead_job`.
///
/// `message` is written by Vigil's code, not copied from the alert or a model: it is logged and shown to
/// operators. Put alert contents, prompts and model output only in a `debugDescription` elsewhere, never here.
public struct JobError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure; stored as text, matched by callers; codes may be added.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The step ran past its deadline.
        public static let timeout = Code(rawValue: "timeout")
        /// A dependency (database, enrichment source) failed in a way that may pass.
        public static let transient = Code(rawValue: "transient")
        /// The job's input cannot be processed, now or later.
        public static let invalidInput = Code(rawValue: "invalid_input")
        /// The worker handed the job back (shutdown, lost lease) before finishing.
        public static let interrupted = Code(rawValue: "interrupted")
        /// A bug or unexpected state.
        public static let `internal` = Code(rawValue: "internal")
    }

    public var code: Code
    /// A short account of the failure without payload data.
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
