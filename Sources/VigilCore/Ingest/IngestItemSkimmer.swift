/// One validating pass over one ingest item's JSON text that builds no tree for its payload.
///
/// Contract: ``skim(_:maxDepth:)`` returns a result only for text that ``JSONParser`` (with `maxDepth`, duplicate
/// keys rejected, no string limit) accepts as an object, and then the result describes that object exactly. Anything
/// it is not certain of (a syntax error, invalid UTF-8, a key written with an escape or with non-ASCII characters,
/// whose equality ``JSONParser`` judges by Unicode canonical equivalence, a value that is not an object) gives nil,
/// and the caller decodes the item with ``JSONParser`` instead: so the skimmer can only make accepted items
/// cheaper, never change which items are accepted or why one is rejected.
struct IngestItemSkimmer {
    /// A top-level member: its key and the byte range of its value's text.
    struct Member {
        var key: String
        var value: Range<Int>
    }

    /// What the skim found.
    struct Result {
        /// The object's members, in text order.
        var members: [Member]
        /// When the `payload` member's value is an object: its nesting depth (`{}` is 1) and whether any of its
        /// strings holds `\u0000`.
        var payloadShape: IngestDecoder.PayloadShape?
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private var index = 0
    /// The deepest container level reached since the last reset, and whether a `\u0000` escape was read.
    private var deepest = 0
    private var sawNUL = false

    private init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Skims `bytes`; nil when the text must go through ``JSONParser`` (see the type's contract).
    static func skim(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Result? {
        guard isValidUTF8(bytes) else { return nil }
        var skimmer = IngestItemSkimmer(bytes: bytes, maxDepth: maxDepth)
        return skimmer.topLevel()
    }

    /// Whether `bytes` are valid UTF-8 (as Swift's `String(validating:)` judges): the parser checks strings only,
    /// but outside strings it accepts ASCII alone, so for an item it would accept the two are the same.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if bytes.allSatisfy({ $0 < 0x80 }) { return true }
        return String(validating: bytes, as: UTF8.self) != nil
    }

    private mutating func topLevel() -> Result? {
        skipWhitespace()
        guard peek == UInt8(ascii: "{"), maxDepth >= 1 else { return nil }
        index += 1
        var members: [Member] = []
        var payloadShape: IngestDecoder.PayloadShape?
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                guard let key = plainKey() else { return nil }
                let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[key]), as: UTF8.self)
                guard !members.contains(where: { $0.key == name }) else { return nil }
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { return nil }
                index += 1
                skipWhitespace()
                let start = index
                deepest = 1
                sawNUL = false
                guard skipValue(depth: 1) else { return nil }
                members.append(Member(key: name, value: start..<index))
                if name == IngestField.payload.rawValue, bytes[start] == UInt8(ascii: "{") {
                    // The payload sits at level 2; its own depth counts it as 1.
                    payloadShape = IngestDecoder.PayloadShape(depth: deepest - 1, containsNUL: sawNUL)
                }
                skipWhitespace()
                guard let next = peek else { return nil }
                index += 1
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else { return nil }
            }
        }
        skipWhitespace()
        guard index == bytes.count else { return nil }
        return Result(members: members, payloadShape: payloadShape)
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Skips one value whose container is at `depth`; false when it is not valid JSON.
    private mutating func skipValue(depth: Int) -> Bool {
        guard let byte = peek else { return false }
        switch byte {
        case UInt8(ascii: "{"): return skipObject(depth: depth + 1)
        case UInt8(ascii: "["): return skipArray(depth: depth + 1)
        case UInt8(ascii: "\""): return skipString()
        case UInt8(ascii: "t"): return skipLiteral("true")
        case UInt8(ascii: "f"): return skipLiteral("false")
        case UInt8(ascii: "n"): return skipLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return skipNumber()
        default: return false
        }
    }

    private mutating func skipObject(depth: Int) -> Bool {
        guard depth <= maxDepth else { return false }
        deepest = max(deepest, depth)
        index += 1
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            index += 1
            return true
        }
        var keys: [Range<Int>] = []
        var seen: Set<KeyBytes>?
        while true {
            skipWhitespace()
            guard let key = plainKey() else { return false }
            // Small objects check duplicates by scanning; larger ones switch to a set, as the parser does.
            if keys.count >= 16, seen == nil { seen = Set(keys.map { KeyBytes(bytes: bytes, range: $0) }) }
            switch seen?.insert(KeyBytes(bytes: bytes, range: key)).inserted {
            case false?: return false
            case true?: break
            case nil: guard !keys.contains(where: { bytes[$0].elementsEqual(bytes[key]) }) else { return false }
            }
            keys.append(key)
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { return false }
            index += 1
            skipWhitespace()
            guard skipValue(depth: depth) else { return false }
            skipWhitespace()
            guard let next = peek else { return false }
            index += 1
            if next == UInt8(ascii: "}") { return true }
            guard next == UInt8(ascii: ",") else { return false }
        }
    }

    private mutating func skipArray(depth: Int) -> Bool {
        guard depth <= maxDepth else { return false }
        deepest = max(deepest, depth)
        index += 1
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            index += 1
            return true
        }
        while true {
            skipWhitespace()
            guard skipValue(depth: depth) else { return false }
            skipWhitespace()
            guard let next = peek else { return false }
            index += 1
            if next == UInt8(ascii: "]") { return true }
            guard next == UInt8(ascii: ",") else { return false }
        }
    }

    /// A key's bytes between its quotes, when it is a string of printable ASCII without escapes; else nil.
    private mutating func plainKey() -> Range<Int>? {
        guard peek == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var end = start
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") { break }
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { return nil }
            end += 1
        }
        guard end < bytes.count else { return nil }
        index = end + 1
        return start..<end
    }

    /// Skips a string value, checking its escapes as ``JSONParser`` unescapes them.
    private mutating func skipString() -> Bool {
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return true
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { return false }
                switch bytes[index + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                case UInt8(ascii: "u"):
                    guard let unit = JSONParser.hex4(bytes, at: index + 2) else { return false }
                    index += 6
                    if (0xD800..<0xDC00).contains(unit) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                            let low = JSONParser.hex4(bytes, at: index + 2), (0xDC00..<0xE000).contains(low)
                        else { return false }
                        index += 6
                    } else if (0xDC00..<0xE000).contains(unit) {
                        return false
                    } else if unit == 0 {
                        sawNUL = true
                    }
                default:
                    return false
                }
            default:
                guard byte >= 0x20 else { return false }
                index += 1
            }
        }
        return false
    }

    private mutating func skipLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// Skips a number in RFC 8259's grammar that the parser can represent: an integer of up to 18 digits always;
    /// anything else only when `Double` reads it as finite (the parser's own test).
    private mutating func skipNumber() -> Bool {
        let start = index
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard let first = peek, isDigit(first) else { return false }
        var plainInteger = true
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            while let byte = peek, isDigit(byte) { index += 1 }
        }
        if peek == UInt8(ascii: ".") {
            plainInteger = false
            index += 1
            guard let byte = peek, isDigit(byte) else { return false }
            while let byte = peek, isDigit(byte) { index += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            plainInteger = false
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard let byte = peek, isDigit(byte) else { return false }
            while let byte = peek, isDigit(byte) { index += 1 }
        }
        if plainInteger, index - start <= 18 { return true }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text) else { return false }
        return value.isFinite
    }

    /// A key's bytes, hashable, for objects with many keys.
    private struct KeyBytes: Hashable {
        let bytes: UnsafeBufferPointer<UInt8>
        let range: Range<Int>

        static func == (lhs: KeyBytes, rhs: KeyBytes) -> Bool {
            lhs.bytes[lhs.range].elementsEqual(rhs.bytes[rhs.range])
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[range]))
        }
    }
}
