/// An ingest body that cannot be read at all, so no item in it has a result.
///
/// Only whole-body problems are errors: an unsupported content type, a body that is not a JSON array or object,
/// an array whose structure breaks (unbalanced brackets, a missing comma, an unterminated string), too many items.
/// Problems inside one item are ``IngestRejection``s of that item. The message never contains body text.
public struct IngestError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The content type is neither JSON nor NDJSON (HTTP 415).
        public static let unsupportedContentType = Code("unsupported_content_type")
        /// The body's JSON structure is broken; ``IngestError/line`` and ``IngestError/column`` say where (HTTP 400).
        public static let malformedBody = Code("malformed_body")
        /// The body holds more items than ``IngestDecoder/Configuration/maxItems`` (HTTP 413).
        public static let tooManyItems = Code("too_many_items")
        /// The decoder's configuration is invalid (a programming or deployment error).
        public static let invalidConfiguration = Code("invalid_configuration")
    }

    public var code: Code
    public var message: String
    /// 1-based line of the offending byte, for ``Code/malformedBody``.
    public var line: Int?
    /// 1-based column, in bytes, of the offending byte, for ``Code/malformedBody``.
    public var column: Int?

    public init(code: Code, message: String, line: Int? = nil, column: Int? = nil) {
        self.code = code
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String {
        guard let line, let column else { return "\(code): \(message)" }
        return "\(code): \(message) at line \(line), column \(column)"
    }
}
