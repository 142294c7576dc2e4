extension TextInspector {
    /// Reads a text's UTF-8 bytes with the semantics of ``Reference``'s `Regex` patterns, for texts whose scalars are
    /// all below U+0300 except U+00AD and U+00B8 ("plain" texts: ASCII, Latin-1, Latin Extended, IPA and spacing modifier
    /// letters such as the datamark `ˆ`).
    ///
    /// In a plain text every grapheme cluster is one scalar (one or two bytes) except CR LF, no scalar extends or is
    /// ignored by word breaking (no Extend, Format or ZWJ), and lower-case mapping stays plain except for `İ`, `Ⱥ` and
    /// `Ⱦ` (callers check the lowered text again). That is what lets a byte scanner match `Regex` exactly there.
    struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>

        var count: Int { bytes.count }

        subscript(_ index: Int) -> UInt8 { index < bytes.count ? bytes[index] : 0 }

        /// Calls `body` with a scanner over the text's bytes when the text is plain (or when `requiringPlain` is
        /// false: for byte searches that hold in any text), else returns nil.
        static func read<Result>(_ text: String, requiringPlain: Bool = true, _ body: (Scanner) -> Result) -> Result? {
            var text = text
            return text.withUTF8 { bytes in !requiringPlain || isPlain(bytes) ? body(Scanner(bytes: bytes)) : nil }
        }

        /// True when every scalar is below U+0300 and none is U+00AD (SOFT HYPHEN, a format character) or U+00B8
        /// (CEDILLA, which `Regex` word boundaries skip as if it were a format character).
        static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            var previous: UInt8 = 0
            for byte in bytes {
                if byte >= 0xCC || (previous == 0xC2 && (byte == 0xAD || byte == 0xB8)) { return false }
                previous = byte
            }
            return true
        }

        // MARK: Scalars and characters

        /// The scalar starting at `index` (one or two bytes in a plain text) and its length in bytes.
        func scalar(at index: Int) -> (value: UInt32, length: Int)? {
            guard index < count else { return nil }
            let lead = bytes[index]
            if lead < 0x80 { return (UInt32(lead), 1) }
            return ((UInt32(lead & 0x1F) << 6) | UInt32(self[index + 1] & 0x3F), 2)
        }

        /// The scalar ending at `index` and where it starts.
        func scalar(before index: Int) -> (value: UInt32, start: Int)? {
            guard index > 0 else { return nil }
            if bytes[index - 1] < 0x80 { return (UInt32(bytes[index - 1]), index - 1) }
            return (scalar(at: index - 2)!.value, index - 2)
        }

        /// The length in bytes of the grapheme cluster starting at `index` (CR LF is one).
        func characterLength(at index: Int) -> Int {
            let lead = bytes[index]
            if lead < 0x80 { return lead == 0x0D && self[index + 1] == 0x0A ? 2 : 1 }
            return 2
        }

        /// The length of a `\d` character at `index` (an ASCII digit or `²`, `³`, `¹`, `¼`, `½`, `¾`), or 0.
        func digitLength(at index: Int) -> Int {
            guard index < count else { return 0 }
            let byte = bytes[index]
            if byte >= 0x30 && byte <= 0x39 { return 1 }
            if byte == 0xC2 {
                switch self[index + 1] {
                case 0xB2, 0xB3, 0xB9, 0xBC, 0xBD, 0xBE: return 2
                default: return 0
                }
            }
            return 0
        }

        /// The length of a `\s` character at `index` (tab to CR, space, CR LF, U+0085, U+00A0), or 0.
        func whitespaceLength(at index: Int) -> Int {
            guard index < count else { return 0 }
            let byte = bytes[index]
            if byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) { return characterLength(at: index) }
            if byte == 0xC2, self[index + 1] == 0x85 || self[index + 1] == 0xA0 { return 2 }
            return 0
        }

        /// The end of a run of `\s*` starting at `index`.
        func skipWhitespace(from index: Int) -> Int {
            var index = index
            while case let length = whitespaceLength(at: index), length > 0 { index += length }
            return index
        }

        /// The end of the longest run of ASCII bytes in `set` starting at `index`.
        func skip(from index: Int, while set: ByteSet) -> Int {
            var index = index
            while index < count, set.contains(bytes[index]) { index += 1 }
            return index
        }

        /// Whether the bytes at `index` are `literal` (ASCII), optionally ignoring ASCII case (then `literal` is lower case).
        func hasLiteral(_ literal: UnsafeBufferPointer<UInt8>, at index: Int, ignoringCase: Bool = false) -> Bool {
            guard index >= 0, index + literal.count <= count else { return false }
            for offset in 0..<literal.count {
                var byte = bytes[index + offset]
                if ignoringCase, byte >= 0x41, byte <= 0x5A { byte |= 0x20 }
                if byte != literal[offset] { return false }
            }
            return true
        }

        func hasLiteral(_ literal: StaticString, at index: Int, ignoringCase: Bool = false) -> Bool {
            hasLiteral(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount), at: index, ignoringCase: ignoringCase)
        }

        /// Where `literal` next occurs at or after `index`, or nil.
        func find(_ literal: UnsafeBufferPointer<UInt8>, from index: Int, ignoringCase: Bool = false) -> Int? {
            guard let first = literal.first else { return index <= count ? index : nil }
            var index = max(0, index)
            while index + literal.count <= count {
                var byte = bytes[index]
                if ignoringCase, byte >= 0x41, byte <= 0x5A { byte |= 0x20 }
                if byte == first, hasLiteral(literal, at: index, ignoringCase: ignoringCase) { return index }
                index += 1
            }
            return nil
        }

        func find(_ literal: StaticString, from index: Int, ignoringCase: Bool = false) -> Int? {
            find(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount), from: index, ignoringCase: ignoringCase)
        }

        /// Whether the text contains `literal` byte for byte (in a plain text, what `String.contains` finds).
        func contains(_ literal: String) -> Bool {
            var literal = literal
            return literal.withUTF8 { find($0, from: 0) != nil }
        }

        func string(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }

        // MARK: Word boundaries (UAX #29, as `Regex` applies `\b`)

        enum WordBreak: UInt8 {
            case other, cr, lf, newline, space, letter, numeric, midLetter, midNumLet, midNum, extendNumLet
        }

        /// Word_Break of the scalars below U+0300 (U+00AD and U+00B8 never occur in a plain text).
        static let wordBreaks: [WordBreak] = (0..<0x300).map { value in
            switch value {
            case 0x0D: return .cr
            case 0x0A: return .lf
            case 0x0B, 0x0C, 0x85: return .newline
            case 0x20: return .space
            case 0x30...0x39: return .numeric
            case 0x3A, 0xB7: return .midLetter
            case 0x2E, 0x27: return .midNumLet  // MidNumLet, and Single_Quote (MidNumLetQ)
            case 0x2C, 0x3B: return .midNum
            case 0x5F: return .extendNumLet
            case 0x2C2...0x2D7, 0x2DE...0x2FF: return .letter  // spacing modifier letters and symbols that are ALetter
            default: return Unicode.Scalar(UInt32(value))!.properties.isAlphabetic ? .letter : .other
            }
        }

        private func wordBreak(before index: Int) -> (WordBreak, Int)? {
            scalar(before: index).map { (Self.wordBreaks[Int($0.value)], $0.start) }
        }

        private func wordBreak(at index: Int) -> (WordBreak, Int)? {
            scalar(at: index).map { (Self.wordBreaks[Int($0.value)], index + $0.length) }
        }

        /// Whether `\b` holds at byte offset `index` (a character boundary).
        func isWordBoundary(_ index: Int) -> Bool {
            guard let (previous, previousStart) = wordBreak(before: index), let (next, nextEnd) = wordBreak(at: index) else { return true }
            if previous == .cr, next == .lf { return false }  // WB3
            if previous == .cr || previous == .lf || previous == .newline || next == .cr || next == .lf || next == .newline {
                return true  // WB3a, WB3b
            }
            if previous == .space, next == .space { return false }  // WB3d
            let isLetter = { (b: WordBreak) in b == .letter }
            let afterNext = wordBreak(at: nextEnd)?.0
            let beforePrevious = wordBreak(before: previousStart)?.0
            switch (previous, next) {
            case (.letter, .letter), (.numeric, .numeric), (.letter, .numeric), (.numeric, .letter): return false  // WB5, WB8-10
            case (.letter, .midLetter), (.letter, .midNumLet):
                return !(afterNext.map(isLetter) ?? false)  // WB6
            case (.midLetter, .letter), (.midNumLet, .letter):
                return !(beforePrevious.map(isLetter) ?? false)  // WB7
            case (.numeric, .midNum), (.numeric, .midNumLet):
                return afterNext != .numeric  // WB12
            case (.midNum, .numeric), (.midNumLet, .numeric):
                return beforePrevious != .numeric  // WB11
            case (.letter, .extendNumLet), (.numeric, .extendNumLet), (.extendNumLet, .extendNumLet): return false  // WB13a
            case (.extendNumLet, .letter), (.extendNumLet, .numeric): return false  // WB13b
            default: return true  // WB999
            }
        }
    }

    /// A set of ASCII bytes.
    struct ByteSet: Sendable {
        private var low: UInt64 = 0
        private var high: UInt64 = 0

        init(_ members: String) {
            for byte in members.utf8 { insert(byte) }
        }

        init(ranges: [ClosedRange<UInt8>], _ members: String = "") {
            self.init(members)
            for range in ranges { for byte in range { insert(byte) } }
        }

        private mutating func insert(_ byte: UInt8) {
            if byte < 64 { low |= 1 << UInt64(byte) } else if byte < 128 { high |= 1 << UInt64(byte - 64) }
        }

        func contains(_ byte: UInt8) -> Bool {
            byte < 64 ? low & (1 << UInt64(byte)) != 0 : byte < 128 && high & (1 << UInt64(byte - 64)) != 0
        }

        static let letters = ByteSet(ranges: [0x41...0x5A, 0x61...0x7A])
        static let lettersAndHyphen = ByteSet(ranges: [0x41...0x5A, 0x61...0x7A], "-")
        static let lowerDigitsHyphen = ByteSet(ranges: [0x61...0x7A, 0x30...0x39], "-")
        static let lowerAndUnderscore = ByteSet(ranges: [0x61...0x7A], "_")
        static let lettersAndUnderscore = ByteSet(ranges: [0x41...0x5A, 0x61...0x7A], "_")
        static let principalTail = ByteSet(ranges: [0x41...0x5A, 0x61...0x7A, 0x30...0x39], "+=,.@_/-")
        static let resourceTail = ByteSet(ranges: [0x41...0x5A, 0x61...0x7A, 0x30...0x39], "+=,.@_/:*-")
        static let base64 = ByteSet(ranges: [0x41...0x5A, 0x61...0x7A, 0x30...0x39], "+/-_")
    }
}
