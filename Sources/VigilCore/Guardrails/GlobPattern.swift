/// A case-insensitive wildcard pattern for ARNs and names: `*` matches any run of characters (`:` and `/`
/// included), `?` exactly one; everything else literally.
public struct GlobPattern: Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let pattern: String
    private let bytes: [UInt8]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.bytes = Array(pattern.lowercased().utf8)
    }

    public init(stringLiteral value: String) { self.init(value) }

    public init(from decoder: any Decoder) throws { self.init(try decoder.singleValueContainer().decode(String.self)) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(pattern)
    }

    public var description: String { pattern }

    /// Whether `text` matches the whole pattern. Linear-time backtracking on the last `*` only.
    public func matches(_ text: String) -> Bool {
        let subject = Array(text.lowercased().utf8)
        var p = 0
        var s = 0
        var star = -1
        var mark = 0
        while s < subject.count {
            if p < bytes.count, bytes[p] == UInt8(ascii: "?") || bytes[p] == subject[s] {
                p += 1
                s += 1
            } else if p < bytes.count, bytes[p] == UInt8(ascii: "*") {
                star = p
                mark = s
                p += 1
            } else if star >= 0 {
                p = star + 1
                mark += 1
                s = mark
            } else {
                return false
            }
        }
        while p < bytes.count, bytes[p] == UInt8(ascii: "*") { p += 1 }
        return p == bytes.count
    }
}
