/// A record the loader refused: where it is and why. Never carries the record's content.
public struct LoadRejection: Sendable, Hashable, CustomStringConvertible {
    /// The file it came from.
    public var file: String
    /// Where in the file: `line 12 (record 3)` or `line 12`.
    public var position: String
    /// Why: a field name and what is wrong with it, or the parser's error code.
    public var reason: String

    public init(file: String, position: String, reason: String) {
        self.file = file
        self.position = position
        self.reason = reason
    }

    public var description: String { "\(file): \(position): \(reason)" }
}
