/// A Sigma string value split into literal text and wildcards.
///
/// Sigma strings use `*` (any run of characters) and `?` (one character) as wildcards; `\*`, `\?` and `\\`
/// stand for the characters themselves, and a backslash before anything else is a plain backslash.
public struct SigmaPattern: Sendable, Hashable {
    /// One piece of a pattern.
    public enum Piece: Sendable, Hashable {
        case literal(String)
        /// `*`: any run of characters, the empty one included.
        case anyRun
        /// `?`: exactly one character.
        case anyOne
    }

    public private(set) var pieces: [Piece]

    public init(pieces: [Piece]) {
        self.pieces = []
        for piece in pieces { append(piece) }
    }

    /// Parses a Sigma string value, honouring wildcards and escapes.
    public init(sigma text: String) {
        var pieces: [Piece] = []
        var literal = ""
        var iterator = text.makeIterator()
        var pending: Character? = iterator.next()
        while let c = pending {
            pending = iterator.next()
            switch c {
            case "*", "?":
                if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
                pieces.append(c == "*" ? .anyRun : .anyOne)
            case "\\":
                if let next = pending, next == "*" || next == "?" || next == "\\" {
                    literal.append(next)
                    pending = iterator.next()
                } else {
                    literal.append("\\")
                }
            default:
                literal.append(c)
            }
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.init(pieces: pieces)
    }

    /// A pattern that matches `text` exactly, with no wildcards.
    public init(literal text: String) {
        self.init(pieces: text.isEmpty ? [] : [.literal(text)])
    }

    private mutating func append(_ piece: Piece) {
        switch (pieces.last, piece) {
        case (.literal(let a)?, .literal(let b)): pieces[pieces.count - 1] = .literal(a + b)
        case (.anyRun?, .anyRun): break
        case (_, .literal(let s)) where s.isEmpty: break
        default: pieces.append(piece)
        }
    }

    /// True when the pattern has `*` or `?`.
    public var hasWildcards: Bool { pieces.contains { if case .literal = $0 { false } else { true } } }

    /// The text with wildcards written back as Sigma would (escaping literal `*`, `?`, `\`).
    public var sigmaText: String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .anyRun: out += "*"
            case .anyOne: out += "?"
            case .literal(let s):
                for c in s {
                    if c == "*" || c == "?" || c == "\\" { out.append("\\") }
                    out.append(c)
                }
            }
        }
        return out
    }

    /// The plain text of a pattern without wildcards, nil when it has some.
    public var plainText: String? {
        if pieces.isEmpty { return "" }
        if pieces.count == 1, case .literal(let s) = pieces[0] { return s }
        return nil
    }

    /// `contains`: a `*` on both ends.
    public func surrounded() -> SigmaPattern { prefixed().suffixed() }

    /// `endswith`: a `*` at the start.
    public func prefixed() -> SigmaPattern { SigmaPattern(pieces: [.anyRun] + pieces) }

    /// `startswith`: a `*` at the end.
    public func suffixed() -> SigmaPattern { SigmaPattern(pieces: pieces + [.anyRun]) }

    /// Applies `transform` to every literal piece, keeping wildcards in place.
    public func mapLiterals(_ transform: (String) throws -> String) rethrows -> SigmaPattern {
        SigmaPattern(pieces: try pieces.map { piece in
            if case .literal(let s) = piece { return .literal(try transform(s)) }
            return piece
        })
    }
}
