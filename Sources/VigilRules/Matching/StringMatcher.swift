/// A compiled string test: equality, prefix, suffix, substring or a general wildcard pattern.
///
/// Patterns are lowered once when compiled; an event's text is folded byte by byte while it is compared
/// (ASCII case folding, with a full Unicode lowercasing retry only for text that has non-ASCII bytes),
/// so a match allocates nothing for ASCII text. `*`/`?` patterns that reduce to a prefix, suffix or
/// substring test are compiled to that test.
public final class StringMatcher: Sendable {
    enum Kind: Sendable {
        case equals, prefix, suffix, contains, anything
        /// A general pattern; `tokens` holds bytes (0…255), `starToken` and `oneToken`.
        case glob
    }

    static let starToken: Int16 = -1
    static let oneToken: Int16 = -2

    let kind: Kind
    let needle: [UInt8]
    let tokens: [Int16]
    /// False for Sigma's default, case-insensitive matching.
    public let caseSensitive: Bool

    /// Compiles a Sigma pattern.
    /// - Parameter caseSensitive: true for the `cased` modifier.
    public init(_ pattern: SigmaPattern, caseSensitive: Bool = false) {
        self.caseSensitive = caseSensitive
        (kind, needle, tokens) = Self.compile(pattern, caseSensitive: caseSensitive)
    }

    private static func compile(_ pattern: SigmaPattern, caseSensitive: Bool) -> (Kind, [UInt8], [Int16]) {
        let lower: (String) -> String = caseSensitive ? { $0 } : { $0.lowercased() }
        let pieces = pattern.pieces
        func literalBytes(_ piece: SigmaPattern.Piece) -> [UInt8]? {
            if case .literal(let s) = piece { return Array(lower(s).utf8) }
            return nil
        }
        switch pieces.count {
        case 0:
            return (.equals, [], [])
        case 1:
            if let bytes = literalBytes(pieces[0]) { return (.equals, bytes, []) }
            if pieces[0] == .anyRun { return (.anything, [], []) }
        case 2:
            if pieces[1] == .anyRun, let bytes = literalBytes(pieces[0]) { return (.prefix, bytes, []) }
            if pieces[0] == .anyRun, let bytes = literalBytes(pieces[1]) { return (.suffix, bytes, []) }
        case 3:
            if pieces[0] == .anyRun, pieces[2] == .anyRun, let bytes = literalBytes(pieces[1]) { return (.contains, bytes, []) }
        default: break
        }
        var tokens: [Int16] = []
        for piece in pieces {
            switch piece {
            case .anyRun: tokens.append(starToken)
            case .anyOne: tokens.append(oneToken)
            case .literal(let s): tokens.append(contentsOf: lower(s).utf8.map { Int16($0) })
            }
        }
        return (.glob, [], tokens)
    }

    /// True when the test is a plain equality (no wildcards).
    public var isEquality: Bool { kind == .equals }

    /// Tests `text`.
    public func matches(_ text: String) -> Bool {
        if kind == .anything { return true }
        var text = text
        let (matched, hasNonASCII) = text.withUTF8 { match($0) }
        if matched { return true }
        guard hasNonASCII, !caseSensitive else { return false }
        var lowered = text.lowercased()
        return lowered.withUTF8 { match($0).matched }
    }

    @inline(__always)
    private func fold(_ byte: UInt8) -> UInt8 {
        if caseSensitive { return byte }
        return byte &- 65 < 26 ? byte | 0x20 : byte
    }

    /// Matches with ASCII folding; also tells whether the text had non-ASCII bytes (only when it did not match).
    private func match(_ text: UnsafeBufferPointer<UInt8>) -> (matched: Bool, hasNonASCII: Bool) {
        let matched: Bool
        switch kind {
        case .anything: matched = true
        case .equals: matched = text.count == needle.count && equal(text, from: 0)
        case .prefix: matched = text.count >= needle.count && equal(text, from: 0)
        case .suffix: matched = text.count >= needle.count && equal(text, from: text.count - needle.count)
        case .contains: matched = contains(text)
        case .glob: matched = glob(text)
        }
        if matched || caseSensitive { return (matched, false) }
        for byte in text where byte >= 0x80 { return (false, true) }
        return (false, false)
    }

    @inline(__always)
    private func equal(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        var i = 0
        while i < needle.count {
            if fold(text[start + i]) != needle[i] { return false }
            i += 1
        }
        return true
    }

    private func contains(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = needle.count
        if n == 0 { return true }
        if text.count < n { return false }
        let first = needle[0]
        var start = 0
        let last = text.count - n
        while start <= last {
            if fold(text[start]) == first && equal(text, from: start) { return true }
            start += 1
        }
        return false
    }

    @inline(__always)
    private static func characterEnd(_ text: UnsafeBufferPointer<UInt8>, _ index: Int) -> Int {
        var i = index + 1
        while i < text.count && text[i] & 0xC0 == 0x80 { i += 1 }
        return i
    }

    private func glob(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let m = tokens.count
        var p = 0
        var s = 0
        var starP = -1
        var starS = 0
        while s < text.count {
            if p < m {
                let token = tokens[p]
                if token == Self.oneToken {
                    s = Self.characterEnd(text, s)
                    p += 1
                    continue
                }
                if token == Self.starToken {
                    starP = p
                    starS = s
                    p += 1
                    continue
                }
                if Int16(fold(text[s])) == token {
                    s += 1
                    p += 1
                    continue
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starS = Self.characterEnd(text, starS)
            s = starS
        }
        while p < m && tokens[p] == Self.starToken { p += 1 }
        return p == m
    }
}
