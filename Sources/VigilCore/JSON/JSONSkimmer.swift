/// A validating forward reader over one JSON text's UTF-8 bytes that builds no value tree: it checks the syntax as
/// strictly as ``JSONParser`` does (RFC 8259, nesting ≤ 64, strings ≤ 8 MiB, escapes and surrogate pairs, finite
/// numbers) and materialises only the strings its caller asks for.
///
/// The bytes must already be valid UTF-8 (the caller validates the record once); the skimmer checks structure only.
/// It also notes whether any string holds an escaped NUL (`\u0000`), which PostgreSQL's text and jsonb types refuse,
/// and the deepest container level it entered. The enrichment loader reads CloudTrail records with it; the
/// coordinator's ingest path skims items with it (``IngestItemSkimmer``).
package struct JSONSkimmer {
    /// Why the text is not JSON: one of ``JSONParseError/Code``'s descriptions.
    package struct Failure: Error {
        package var code: JSONParseError.Code

        package init(code: JSONParseError.Code) {
            self.code = code
        }
    }

    /// A string token: the bytes between its quotes, and whether they hold escapes.
    package struct StringToken {
        package var range: Range<Int>
        package var escaped: Bool
    }

    /// The deepest nesting accepted (as ``JSONParser/Options/maxDepth``: the outermost container is depth 1).
    package let maxDepth: Int
    /// The longest string accepted, in bytes between its quotes.
    package let maxStringBytes: Int

    package let bytes: UnsafeBufferPointer<UInt8>
    package var index: Int
    /// True once a string with an escaped NUL has been read.
    package private(set) var sawNUL = false
    /// The deepest container level entered so far (0 before any).
    package private(set) var deepest = 0

    package init(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int = 0, maxDepth: Int = 64, maxStringBytes: Int = 8 << 20) {
        self.bytes = bytes
        self.index = start
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
    }

    package var atEnd: Bool { index >= bytes.count }

    /// The byte at the read position (after white space), or nil at the end.
    package mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    package mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Consumes `byte` (after white space) or fails.
    package mutating func expect(_ byte: UInt8) throws(Failure) {
        guard let next = peek() else { throw Failure(code: .unexpectedEnd) }
        guard next == byte else { throw Failure(code: .unexpectedCharacter) }
        index += 1
    }

    /// Reads the members of an object (the read position at its `{`), calling `member` with each key; `member` must
    /// consume the value (``skipValue(depth:)``, ``string()``, or its own reading). `depth` is the object's own depth.
    package mutating func object(depth: Int, _ member: (inout JSONSkimmer, StringToken) throws(Failure) -> Void) throws(Failure) {
        if depth > maxDepth { throw Failure(code: .tooDeep) }
        deepest = max(deepest, depth)
        try expect(UInt8(ascii: "{"))
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw Failure(code: atEnd ? .unexpectedEnd : .unexpectedCharacter) }
            let key = try stringToken()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            try member(&self, key)
            guard let next = peek() else { throw Failure(code: .unexpectedEnd) }
            index += 1
            switch next {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return
            default: throw Failure(code: .unexpectedCharacter)
            }
        }
    }

    /// Reads the elements of an array (the read position at its `[`), calling `element` for each; `element` must
    /// consume it.
    package mutating func array(depth: Int, _ element: (inout JSONSkimmer) throws(Failure) -> Void) throws(Failure) {
        if depth > maxDepth { throw Failure(code: .tooDeep) }
        deepest = max(deepest, depth)
        try expect(UInt8(ascii: "["))
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            guard let next = peek() else { throw Failure(code: .unexpectedEnd) }
            index += 1
            switch next {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return
            default: throw Failure(code: .unexpectedCharacter)
            }
        }
    }

    /// Validates and passes over one value; `depth` is the depth of the container holding it.
    package mutating func skipValue(depth: Int) throws(Failure) {
        guard let next = peek() else { throw Failure(code: .unexpectedEnd) }
        switch next {
        case UInt8(ascii: "{"): try object(depth: depth + 1) { skimmer, _ throws(Failure) in try skimmer.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["): try array(depth: depth + 1) { skimmer throws(Failure) in try skimmer.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""): _ = try stringToken()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        default: throw Failure(code: .unexpectedCharacter)
        }
    }

    /// The string value at the read position, or nil (the value passed over) when it is not a string.
    package mutating func string(depth: Int) throws(Failure) -> String? {
        guard peek() == UInt8(ascii: "\"") else {
            try skipValue(depth: depth)
            return nil
        }
        return text(try stringToken())
    }

    /// The text of a string token.
    package func text(_ token: StringToken) -> String {
        let raw = UnsafeBufferPointer(rebasing: bytes[token.range])
        guard token.escaped else { return String(decoding: raw, as: UTF8.self) }
        // The escapes were checked when the token was read, and the bytes are valid UTF-8: this cannot fail.
        return (try? JSONParser.unescape(raw)) ?? String(decoding: raw, as: UTF8.self)
    }

    /// True when the token's text is exactly `name` (ASCII, no escapes needed).
    package func equals(_ token: StringToken, _ name: StaticString) -> Bool {
        guard !token.escaped else { return text(token) == name.description }
        let count = token.range.count
        guard count == name.utf8CodeUnitCount else { return false }
        let expected = name.utf8Start
        for offset in 0..<count where bytes[token.range.lowerBound + offset] != expected[offset] { return false }
        return true
    }

    /// Reads a string (the read position at its opening quote), checking escapes and control characters.
    package mutating func stringToken() throws(Failure) -> StringToken {
        index += 1
        let start = index
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let token = StringToken(range: start..<index, escaped: escaped)
                if index - start > maxStringBytes { throw Failure(code: .stringTooLong) }
                index += 1
                return token
            }
            if byte < 0x20 { throw Failure(code: .controlCharacterInString) }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                try escape()
                continue
            }
            index += 1
        }
        throw Failure(code: .unexpectedEnd)
    }

    /// Checks one escape sequence (the read position at its backslash) and passes over it.
    private mutating func escape() throws(Failure) {
        guard index + 1 < bytes.count else { throw Failure(code: .unexpectedEnd) }
        switch bytes[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
            UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 2
        case UInt8(ascii: "u"):
            guard let unit = JSONParser.hex4(bytes, at: index + 2) else { throw Failure(code: .invalidEscape) }
            index += 6
            if unit == 0 { sawNUL = true }
            if (0xD800..<0xDC00).contains(unit) {
                guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                    let low = JSONParser.hex4(bytes, at: index + 2), (0xDC00..<0xE000).contains(low)
                else { throw Failure(code: .invalidEscape) }
                index += 6
            } else if (0xDC00..<0xE000).contains(unit) {
                throw Failure(code: .invalidEscape)
            }
        default: throw Failure(code: .invalidEscape)
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Failure(code: .unexpectedEnd) }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw Failure(code: .unexpectedCharacter) }
        index += count
    }

    /// A number as RFC 8259 writes it; one that is not an integer of at most 18 digits must also be a finite double.
    private mutating func number() throws(Failure) {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw Failure(code: .unexpectedEnd) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            guard Self.isDigit(bytes[index]) else { throw Failure(code: .invalidNumber) }
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        }
        var plain = index - start <= 18
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            plain = false
            index += 1
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw Failure(code: .invalidNumber) }
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            plain = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, Self.isDigit(bytes[index]) else { throw Failure(code: .invalidNumber) }
            while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
        }
        if !plain {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let value = Double(text), value.isFinite else { throw Failure(code: .invalidNumber) }
        }
    }

    @inline(__always) private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
