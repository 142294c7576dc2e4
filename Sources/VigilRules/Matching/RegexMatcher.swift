/// The `re` modifier: a regular expression searched anywhere in the value (not anchored unless it says so).
///
/// Expressions of the shape `^? (.*|.+)? LITERAL (.*|.+)? $?` — the common case in rules — are run as a
/// substring search with position checks; everything else runs on Swift `Regex`.
public final class RegexMatcher: @unchecked Sendable {
    // `Regex<AnyRegexOutput>` is immutable after construction; it is only used for matching.
    public let pattern: String
    public let ignoreCase: Bool
    public let multiline: Bool
    public let dotAll: Bool
    private let regex: Regex<AnyRegexOutput>
    private let fast: FastPath?

    struct FastPath {
        var literal: StringMatcher
        var bytes: [UInt8]
        var anchoredStart: Bool
        var minBefore: Int
        var anchoredEnd: Bool
        var minAfter: Int
    }

    /// Compiles `pattern`.
    /// - Throws: ``RuleProblem`` with `.invalidValue` when the expression does not compile.
    init(pattern: String, ignoreCase: Bool, multiline: Bool, dotAll: Bool) throws(RuleProblem) {
        self.pattern = pattern
        self.ignoreCase = ignoreCase
        self.multiline = multiline
        self.dotAll = dotAll
        do {
            var regex = try Regex(pattern)
            if ignoreCase { regex = regex.ignoresCase() }
            if multiline { regex = regex.anchorsMatchLineEndings() }
            if dotAll { regex = regex.dotMatchesNewlines() }
            self.regex = regex
        } catch {
            throw RuleProblem(.invalidValue, "regular expression does not compile: \(pattern)")
        }
        self.fast = Self.fastPath(pattern, ignoreCase: ignoreCase)
    }

    /// Recognises `^? (.*|.+)? LITERAL (.*|.+)? $?`.
    private static func fastPath(_ pattern: String, ignoreCase: Bool) -> FastPath? {
        var chars = Array(pattern.unicodeScalars)
        var anchoredStart = false
        var anchoredEnd = false
        var minBefore = 0
        var minAfter = 0
        if chars.first == "^" { anchoredStart = true; chars.removeFirst() }
        if chars.count >= 2, chars[0] == ".", chars[1] == "*" || chars[1] == "+" {
            if chars.count >= 3, chars[2] == "?" || chars[2] == "+" || chars[2] == "*" { return nil }
            minBefore = chars[1] == "+" ? 1 : 0
            anchoredStart = false
            chars.removeFirst(2)
        }
        if chars.last == "$", !(chars.count >= 2 && chars[chars.count - 2] == "\\") { anchoredEnd = true; chars.removeLast() }
        if chars.count >= 2, chars[chars.count - 2] == ".", chars.last == "*" || chars.last == "+",
            !(chars.count >= 3 && chars[chars.count - 3] == "\\")
        {
            minAfter = chars.last == "+" ? 1 : 0
            anchoredEnd = false
            chars.removeLast(2)
        }
        var literal = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\" {
                guard i + 1 < chars.count else { return nil }
                let next = chars[i + 1]
                guard next.isASCII, !next.properties.isAlphabetic, !("0"..."9").contains(next) else { return nil }
                literal.unicodeScalars.append(next)
                i += 2
                continue
            }
            if "^$.*+?()[]{}|".unicodeScalars.contains(c) { return nil }
            literal.unicodeScalars.append(c)
            i += 1
        }
        guard !literal.isEmpty, literal.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        return FastPath(
            literal: StringMatcher(SigmaPattern(literal: literal), caseSensitive: !ignoreCase),
            bytes: Array((ignoreCase ? literal.lowercased() : literal).utf8),
            anchoredStart: anchoredStart, minBefore: minBefore, anchoredEnd: anchoredEnd, minAfter: minAfter)
    }

    /// True when the expression is found in `text`.
    public func matches(_ text: String) -> Bool {
        if let fast, let matched = Self.fastMatch(fast, text) { return matched }
        return (try? regex.firstMatch(in: text)) != nil
    }

    /// The fast path's answer, or nil when the text has line breaks or non-ASCII bytes (left to `Regex`).
    private static func fastMatch(_ fast: FastPath, _ text: String) -> Bool? {
        var text = text
        return text.withUTF8 { buffer -> Bool? in
            let n = buffer.count
            let m = fast.bytes.count
            guard n >= m + fast.minBefore + fast.minAfter else { return false }
            let lowest = fast.anchoredStart ? 0 : fast.minBefore
            let highest = fast.anchoredEnd ? n - m : n - m - fast.minAfter
            if lowest > highest { return false }
            var start = fast.anchoredEnd ? highest : lowest
            let end = fast.anchoredStart ? lowest : highest
            if fast.anchoredStart && fast.anchoredEnd && lowest != highest { return false }
            var found = false
            while start <= end {
                var i = 0
                while i < m {
                    var b = buffer[start + i]
                    if !fast.literal.caseSensitive, b &- 65 < 26 { b |= 0x20 }
                    if b != fast.bytes[i] { break }
                    i += 1
                }
                if i == m {
                    found = true
                    break
                }
                start += 1
            }
            // Line breaks and non-ASCII text change what `.` and case folding mean: those go to `Regex`.
            for byte in buffer where byte == 0x0A || byte == 0x0D || byte >= 0x80 { return nil }
            return found
        }
    }
}
