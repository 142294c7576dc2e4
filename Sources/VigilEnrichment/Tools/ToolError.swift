/// Why a tool refused a call or could not answer. `message` is written for the model and names arguments, never
/// their values or log content.
public struct ToolError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// An argument is missing, of the wrong type or out of range.
        public static let invalidArgument = Code("invalid_argument")
        /// No tool of that name.
        public static let unknownTool = Code("unknown_tool")
        /// The data store failed; retrying later may work.
        public static let unavailable = Code("unavailable")
    }

    public var code: Code
    public var message: String
    /// The argument at fault, if one is.
    public var argument: String?

    public init(_ code: Code, _ message: String, argument: String? = nil) {
        self.code = code
        self.message = message
        self.argument = argument
    }

    static func invalid(_ argument: String, _ message: String) -> ToolError {
        ToolError(.invalidArgument, "\(argument): \(message)", argument: argument)
    }

    public var description: String { "\(code): \(message)" }
}
