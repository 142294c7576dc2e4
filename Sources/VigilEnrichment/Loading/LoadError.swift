/// A load that could not run at all (an unreadable file, a database failure). Bad records are not errors: they are
/// ``LoadRejection``s in the summary.
public struct LoadError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let unreadableFile = Code("unreadable file")
        public static let invalidFile = Code("invalid file")
    }

    public var code: Code
    /// Names the file and the problem, never file content.
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
