/// An error in JSON text, with where it is; never the text itself.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let unexpectedEnd = Code("unexpected end of input")
        public static let unexpectedCharacter = Code("unexpected character")
        public static let invalidNumber = Code("invalid number")
        public static let invalidEscape = Code("invalid escape")
        public static let invalidUTF8 = Code("invalid UTF-8")
        public static let controlCharacterInString = Code("control character in string")
        public static let tooDeep = Code("nesting too deep")
        public static let duplicateKey = Code("duplicate key")
        public static let trailingData = Code("trailing data after value")
        public static let stringTooLong = Code("string too long")
    }

    public var code: Code
    /// 1-based line of the offending byte.
    public var line: Int
    /// 1-based column (in bytes) of the offending byte.
    public var column: Int
    /// 0-based byte offset of the offending byte.
    public var offset: Int
    /// For `duplicateKey`: the key. Keys are field names, not payload, so they may be shown.
    public var key: String?

    public var description: String {
        var text = "\(code) at line \(line), column \(column)"
        if let key { text += " (key \"\(key.prefix(64))\")" }
        return text
    }
}

/// A strict RFC 8259 JSON parser over UTF-8 bytes, with bounds for hostile input.
public struct JSONParser: Sendable {
    /// What to do when an object names the same key twice.
    public enum DuplicateKeys: Sendable {
        case reject
        case lastWins
    }

    public var maxDepth: Int
    public var maxStringBytes: Int
    public var duplicateKeys: DuplicateKeys

    /// - Parameters:
    ///   - maxDepth: deepest nesting of arrays and objects accepted (default 64).
    ///   - maxStringBytes: longest string accepted, in bytes (default 8 MiB).
    ///   - duplicateKeys: whether a repeated key is an error (default) or the last one wins.
    public init(maxDepth: Int = 64, maxStringBytes: Int = 8 << 20, duplicateKeys: DuplicateKeys = .reject) {
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
        self.duplicateKeys = duplicateKeys
    }

    /// Parses exactly one JSON value (surrounding white space allowed).
    public func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(text.utf8)
    }

    /// Parses exactly one JSON value from UTF-8 bytes.
    public func parse<Bytes: Collection>(_ bytes: Bytes) throws(JSONParseError) -> JSONValue where Bytes.Element == UInt8 {
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(bytes: buffer) }
        }
        if let result { return try result.get() }
        let array = Array(bytes)
        let copied = array.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(bytes: buffer) }
        }
        return try copied.get()
    }

    /// Parses exactly one JSON value from a buffer of UTF-8 bytes.
    public func parse(bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var reader = Reader(bytes: bytes, options: self)
        reader.skipWhitespace()
        let value = try reader.parseValue(depth: 0)
        reader.skipWhitespace()
        if reader.index < bytes.count { throw reader.error(.trailingData) }
        return value
    }
}

extension JSONParser {
    /// The four hex digits of a `\uXXXX` escape starting at `at` in `raw` (either case), or nil when fewer than four
    /// bytes remain or any is not a hex digit. Shared with the tree-free readers that validate JSON as this parser does.
    public static func hex4(_ raw: UnsafeBufferPointer<UInt8>, at: Int) -> UInt16? {
        guard at >= 0, at + 4 <= raw.count else { return nil }
        var value: UInt16 = 0
        for k in 0..<4 {
            let c = raw[at + k]
            let digit: UInt16
            switch c {
            case 0x30...0x39: digit = UInt16(c - 0x30)
            case 0x41...0x46: digit = UInt16(c - 0x41 + 10)
            case 0x61...0x66: digit = UInt16(c - 0x61 + 10)
            default: return nil
            }
            value = value << 4 | digit
        }
        return value
    }

    /// Why ``unescape(_:)`` refused a string: the code, and the offset in the raw bytes where the fault starts.
    package struct UnescapeFailure: Error {
        package var code: JSONParseError.Code
        package var offset: Int
    }

    /// The text of a JSON string from the raw bytes between its quotes, escapes decoded (a surrogate pair to one
    /// scalar). Fails on an unknown or truncated escape, a lone surrogate, or bytes that are not UTF-8. The parser
    /// and ``JSONSkimmer`` both decode strings with it.
    package static func unescape(_ raw: UnsafeBufferPointer<UInt8>) throws(UnescapeFailure) -> String {
        func fail(_ code: JSONParseError.Code, _ offset: Int) -> UnescapeFailure { UnescapeFailure(code: code, offset: offset) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let byte = raw[i]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                i += 1
                continue
            }
            guard i + 1 < raw.count else { throw fail(.invalidEscape, i) }
            let escaped = raw[i + 1]
            i += 2
            switch escaped {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard let unit = hex4(raw, at: i) else { throw fail(.invalidEscape, i - 2) }
                i += 4
                var scalarValue = UInt32(unit)
                if (0xD800..<0xDC00).contains(unit) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard i + 6 <= raw.count, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u"),
                        let low = hex4(raw, at: i + 2), (0xDC00..<0xE000).contains(low)
                    else { throw fail(.invalidEscape, i - 6) }
                    i += 6
                    scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                } else if (0xDC00..<0xE000).contains(unit) {
                    throw fail(.invalidEscape, i - 6)
                }
                guard let scalar = Unicode.Scalar(scalarValue) else { throw fail(.invalidEscape, i - 6) }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw fail(.invalidEscape, i - 2)
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw fail(.invalidUTF8, 0) }
        return s
    }

    fileprivate struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        let options: JSONParser
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>, options: JSONParser) {
            self.bytes = bytes
            self.options = options
        }

        func error(_ code: JSONParseError.Code, at position: Int? = nil, key: String? = nil) -> JSONParseError {
            let position = min(position ?? index, bytes.count)
            var line = 1
            var lineStart = 0
            for i in 0..<position where bytes[i] == UInt8(ascii: "\n") {
                line += 1
                lineStart = i + 1
            }
            return JSONParseError(code: code, line: line, column: position - lineStart + 1, offset: position, key: key)
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
            guard index < bytes.count else { throw error(.unexpectedEnd) }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
            case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectLiteral("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw error(.unexpectedCharacter)
            }
        }

        mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw error(.unexpectedEnd) }
            let pointer = literal.utf8Start
            for i in 0..<count where bytes[index + i] != pointer[i] {
                throw error(.unexpectedCharacter, at: index + i)
            }
            index += count
        }

        mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
            if depth > options.maxDepth { throw error(.tooDeep) }
            index += 1
            var members: [JSONObject.Member] = []
            var seen: Set<String>? = nil
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(JSONObject(members))
            }
            while true {
                skipWhitespace()
                guard index < bytes.count else { throw error(.unexpectedEnd) }
                guard bytes[index] == UInt8(ascii: "\"") else { throw error(.unexpectedCharacter) }
                let keyStart = index
                let key = try parseString()
                // Small objects check duplicates by scanning; larger ones switch to a set.
                if members.count >= 16, seen == nil { seen = Set(members.map(\.key)) }
                let duplicate = seen.map { $0.contains(key) } ?? members.contains { $0.key == key }
                skipWhitespace()
                guard index < bytes.count else { throw error(.unexpectedEnd) }
                guard bytes[index] == UInt8(ascii: ":") else { throw error(.unexpectedCharacter) }
                index += 1
                skipWhitespace()
                let value = try parseValue(depth: depth)
                if duplicate {
                    switch options.duplicateKeys {
                    case .reject: throw error(.duplicateKey, at: keyStart, key: key)
                    case .lastWins:
                        if let i = members.firstIndex(where: { $0.key == key }) { members[i].value = value }
                    }
                } else {
                    members.append(JSONObject.Member(key: key, value: value))
                    seen?.insert(key)
                }
                skipWhitespace()
                guard index < bytes.count else { throw error(.unexpectedEnd) }
                switch bytes[index] {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    return .object(JSONObject(members))
                default: throw error(.unexpectedCharacter)
                }
            }
        }

        mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
            if depth > options.maxDepth { throw error(.tooDeep) }
            index += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth))
                skipWhitespace()
                guard index < bytes.count else { throw error(.unexpectedEnd) }
                switch bytes[index] {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"):
                    index += 1
                    return .array(items)
                default: throw error(.unexpectedCharacter)
                }
            }
        }

        mutating func parseNumber() throws(JSONParseError) -> JSONValue {
            let start = index
            var isInteger = true
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else { throw error(.unexpectedEnd) }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else if isDigit(bytes[index]) {
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            } else {
                throw error(.invalidNumber)
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw error(.invalidNumber) }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, isDigit(bytes[index]) else { throw error(.invalidNumber) }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            if isInteger, let i = Int64(text) { return .int(i) }
            guard let d = Double(text), d.isFinite else { throw error(.invalidNumber, at: start) }
            return .double(d)
        }

        @inline(__always) func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

        mutating func parseString() throws(JSONParseError) -> String {
            index += 1
            let start = index
            // Fast path: no escapes, all ASCII or valid UTF-8.
            var hasEscape = false
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") { break }
                if byte == UInt8(ascii: "\\") {
                    hasEscape = true
                    index += 2
                    continue
                }
                if byte < 0x20 { throw error(.controlCharacterInString) }
                index += 1
            }
            guard index < bytes.count else { throw error(.unexpectedEnd, at: bytes.count) }
            if index - start > options.maxStringBytes { throw error(.stringTooLong, at: start) }
            let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
            index += 1
            if !hasEscape {
                guard let s = String(validating: raw, as: UTF8.self) else { throw error(.invalidUTF8, at: start) }
                return s
            }
            return try unescape(raw, startOffset: start)
        }

        func unescape(_ raw: UnsafeBufferPointer<UInt8>, startOffset: Int) throws(JSONParseError) -> String {
            do {
                return try JSONParser.unescape(raw)
            } catch let failure {
                throw error(failure.code, at: startOffset + failure.offset)
            }
        }

        func hex4(_ raw: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt16? { JSONParser.hex4(raw, at: at) }
    }
}
