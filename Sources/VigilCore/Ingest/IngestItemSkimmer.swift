/// One validating pass over one ingest item's JSON text that builds no tree for its payload: ``JSONSkimmer`` (the
/// syntax, escapes, nesting and `\u0000`), plus duplicate keys in every object, which ``JSONParser`` rejects.
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

    /// Skims `bytes`; nil when the text must go through ``JSONParser`` (see the type's contract).
    static func skim(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Result? {
        guard isValidUTF8(bytes) else { return nil }
        var skimmer = JSONSkimmer(bytes, maxDepth: maxDepth, maxStringBytes: Int.max)
        var members: [Member] = []
        var payloadShape: IngestDecoder.PayloadShape?
        do throws(JSONSkimmer.Failure) {
            guard skimmer.peek() == UInt8(ascii: "{") else { return nil }
            try skimmer.object(depth: 1) { skimmer, key throws(JSONSkimmer.Failure) in
                let name = try plainKey(key, in: bytes)
                guard !members.contains(where: { $0.key == name }) else { throw declined }
                let start = skimmer.index
                // A value of its own skimmer, so that its deepest level and NULs are its own.
                var value = JSONSkimmer(bytes, from: start, maxDepth: maxDepth, maxStringBytes: Int.max)
                try walk(&value, depth: 1)
                skimmer.index = value.index
                members.append(Member(key: name, value: start..<value.index))
                if name == IngestField.payload.rawValue, bytes[start] == UInt8(ascii: "{") {
                    // The payload sits at level 2; its own depth counts it as 1.
                    payloadShape = IngestDecoder.PayloadShape(depth: value.deepest - 1, containsNUL: value.sawNUL)
                }
            }
            skimmer.skipWhitespace()
            guard skimmer.atEnd else { return nil }
        } catch {
            return nil
        }
        return Result(members: members, payloadShape: payloadShape)
    }

    /// Whether `bytes` are valid UTF-8 (as Swift's `String(validating:)` judges): the parser checks strings only,
    /// but outside strings it accepts ASCII alone, so for an item it would accept the two are the same.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if bytes.allSatisfy({ $0 < 0x80 }) { return true }
        return String(validating: bytes, as: UTF8.self) != nil
    }

    /// What the skimmer throws for text it declines (valid or not): the caller only sees nil.
    private static let declined = JSONSkimmer.Failure(code: .unexpectedCharacter)

    /// Validates one value whose container is at `depth`, rejecting duplicate keys in every object within it.
    private static func walk(_ skimmer: inout JSONSkimmer, depth: Int) throws(JSONSkimmer.Failure) {
        switch skimmer.peek() {
        case UInt8(ascii: "{"):
            let bytes = skimmer.bytes
            var keys: [Range<Int>] = []
            var seen: Set<KeyBytes>?
            try skimmer.object(depth: depth + 1) { skimmer, key throws(JSONSkimmer.Failure) in
                _ = try plainKey(key, in: bytes)
                // Small objects check duplicates by scanning; larger ones switch to a set, as the parser does.
                if keys.count >= 16, seen == nil { seen = Set(keys.map { KeyBytes(bytes: bytes, range: $0) }) }
                switch seen?.insert(KeyBytes(bytes: bytes, range: key.range)).inserted {
                case false?: throw declined
                case true?: break
                case nil: guard !keys.contains(where: { bytes[$0].elementsEqual(bytes[key.range]) }) else { throw declined }
                }
                keys.append(key.range)
                try walk(&skimmer, depth: depth + 1)
            }
        case UInt8(ascii: "["):
            try skimmer.array(depth: depth + 1) { skimmer throws(JSONSkimmer.Failure) in try walk(&skimmer, depth: depth + 1) }
        default:
            try skimmer.skipValue(depth: depth)
        }
    }

    /// A key's text when it is printable ASCII without escapes (then byte equality is the parser's key equality).
    private static func plainKey(_ key: JSONSkimmer.StringToken, in bytes: UnsafeBufferPointer<UInt8>) throws(JSONSkimmer.Failure) -> String {
        let raw = UnsafeBufferPointer(rebasing: bytes[key.range])
        guard !key.escaped, raw.allSatisfy({ $0 < 0x80 }) else { throw declined }
        return String(decoding: raw, as: UTF8.self)
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
