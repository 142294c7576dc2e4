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

    /// Skims `bytes`; nil when the text must go through ``JSONParser`` (see the type's contract).
    static func skim(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Result? {
        guard isValidUTF8(bytes), maxDepth >= 1 else { return nil }
        var skimmer = JSONSkimmer(bytes, maxDepth: maxDepth, maxStringBytes: .max)
        var members: [Member] = []
        var payloadShape: IngestDecoder.PayloadShape?
        do {
            guard skimmer.peek() == UInt8(ascii: "{") else { return nil }
            var keys = KeySet()
            try skimmer.object(depth: 1) { skimmer, key throws(JSONSkimmer.Failure) in
                try keys.insert(key, of: skimmer.bytes)
                let name = String(decoding: UnsafeBufferPointer(rebasing: skimmer.bytes[key.range]), as: UTF8.self)
                let start = skimmer.index
                skimmer.resetMarks()
                try skipValue(&skimmer, depth: 1)
                members.append(Member(key: name, value: start..<skimmer.index))
                if name == IngestField.payload.rawValue, bytes[start] == UInt8(ascii: "{") {
                    // The payload sits at level 2; its own depth counts it as 1.
                    payloadShape = IngestDecoder.PayloadShape(depth: skimmer.deepest - 1, containsNUL: skimmer.sawNUL)
                }
            }
            guard skimmer.peek() == nil else { return nil }
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

    /// Passes over one value whose container is at `depth`, as ``JSONSkimmer/skipValue(depth:)`` does, but also
    /// refusing what the parser would refuse and the skimmer does not check: a repeated key in any object (or a key
    /// the skim cannot compare, see the type's contract).
    private static func skipValue(_ skimmer: inout JSONSkimmer, depth: Int) throws(JSONSkimmer.Failure) {
        switch skimmer.peek() {
        case UInt8(ascii: "{"):
            var keys = KeySet()
            try skimmer.object(depth: depth + 1) { skimmer, key throws(JSONSkimmer.Failure) in
                try keys.insert(key, of: skimmer.bytes)
                try skipValue(&skimmer, depth: depth + 1)
            }
        case UInt8(ascii: "["):
            try skimmer.array(depth: depth + 1) { skimmer throws(JSONSkimmer.Failure) in try skipValue(&skimmer, depth: depth + 1) }
        default:
            try skimmer.skipValue(depth: depth)
        }
    }

    /// The keys of one object, to refuse a repeated one: only keys of printable ASCII without escapes are taken
    /// (others fail the skim), so equal bytes are exactly equal keys. Small objects compare by scanning; from 16
    /// keys on a set is used, as the parser does.
    private struct KeySet {
        private var keys: [Range<Int>] = []
        private var seen: Set<KeyBytes>?

        mutating func insert(_ key: JSONSkimmer.StringToken, of bytes: UnsafeBufferPointer<UInt8>) throws(JSONSkimmer.Failure) {
            guard !key.escaped, !bytes[key.range].contains(where: { $0 >= 0x80 }) else { throw JSONSkimmer.Failure(code: .invalidEscape) }
            if keys.count >= 16, seen == nil { seen = Set(keys.map { KeyBytes(bytes: bytes, range: $0) }) }
            let fresh: Bool
            if seen != nil {
                fresh = seen!.insert(KeyBytes(bytes: bytes, range: key.range)).inserted
            } else {
                fresh = !keys.contains { bytes[$0].elementsEqual(bytes[key.range]) }
            }
            guard fresh else { throw JSONSkimmer.Failure(code: .duplicateKey) }
            keys.append(key.range)
        }
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
