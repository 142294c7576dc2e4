import VigilCore

/// The prefilter: which rules can possibly match an event, from its `eventName` and `eventSource`.
///
/// A rule whose condition implies `eventName ∈ S` (or, failing that, `eventSource ∈ S`) with plain,
/// case-insensitive values is filed under each value of `S`; other rules are always candidates. Rule lists live
/// in one flat array; lookups fold ASCII case on the fly, so choosing the candidates allocates nothing.
final class RuleIndex: Sendable {
    static let indexedFields = ["eventName", "eventSource"]

    /// Per indexed field, a table mapping a value to a range of `postings`.
    private let nameTable: CaseInsensitiveTable
    private let sourceTable: CaseInsensitiveTable
    /// Rules filed under each field (all of them are candidates when the event's field is not a string).
    private let filed: [Range<Int>]
    private let always: Range<Int>
    private let postings: [Int]
    private let ruleCount: Int

    init(rules: [SigmaRule]) {
        ruleCount = rules.count
        var lists = Self.indexedFields.map { _ in [String: [Int]]() }
        var filedLists = Self.indexedFields.map { _ in [Int]() }
        var alwaysList: [Int] = []
        for (i, rule) in rules.enumerated() {
            var placed = false
            for (f, field) in Self.indexedFields.enumerated() {
                guard let values = rule.condition.requiredValues(of: field, rule.detections), values.allSatisfy(\.isASCIIText) else {
                    continue
                }
                for value in values { lists[f][value, default: []].append(i) }
                filedLists[f].append(i)
                placed = true
                break
            }
            if !placed { alwaysList.append(i) }
        }
        var postings: [Int] = []
        func append(_ list: [Int]) -> Range<Int> {
            let start = postings.count
            postings += list
            return start..<postings.count
        }
        always = append(alwaysList)
        filed = filedLists.map(append)
        var tables: [CaseInsensitiveTable] = []
        for byValue in lists {
            var builder = CaseInsensitiveTable.Builder()
            for (value, list) in byValue.sorted(by: { $0.key < $1.key }) { builder.insert(value, append(list)) }
            tables.append(CaseInsensitiveTable(builder))
        }
        nameTable = tables[0]
        sourceTable = tables[1]
        self.postings = postings
    }

    /// Calls `body` with every candidate rule for an event, in ascending rule order, without allocating.
    /// - Parameter fields: the event's `eventName` and `eventSource`, or nil when the event is not an object.
    @inline(__always)
    func forEachCandidate(_ fields: (JSONValue?, JSONValue?)?, _ body: (Int) -> Void) {
        guard let fields else {
            for i in 0..<ruleCount { body(i) }
            return
        }
        var ranges = (always, 0..<0, 0..<0)
        for f in 0..<2 {
            let range: Range<Int>
            switch f == 0 ? fields.0 : fields.1 {
            case .string(let s)?: range = (f == 0 ? nameTable : sourceTable).lookup(s) ?? 0..<0
            case nil, .null?: range = 0..<0
            default: range = filed[f]
            }
            if f == 0 { ranges.1 = range } else { ranges.2 = range }
        }
        postings.withUnsafeBufferPointer { p in
            var (a, b, c) = ranges
            var last = -1
            while true {
                let x = a.isEmpty ? Int.max : p[a.lowerBound]
                let y = b.isEmpty ? Int.max : p[b.lowerBound]
                let z = c.isEmpty ? Int.max : p[c.lowerBound]
                let next = min(x, y, z)
                if next == .max { return }
                if x == next { a = a.dropFirst() }
                if y == next { b = b.dropFirst() }
                if z == next { c = c.dropFirst() }
                if next != last { body(next) }
                last = next
            }
        }
    }
}

/// An open-addressing hash table from lowercased ASCII keys to ranges, looked up without allocating.
final class CaseInsensitiveTable: Sendable {
    /// Collects the entries; the table itself is immutable.
    struct Builder {
        var keys: [[UInt8]?] = Array(repeating: nil, count: 16)
        var values: [Range<Int>] = Array(repeating: 0..<0, count: 16)
        var count = 0

        /// Files `range` under `key` (lowercased ASCII; a later insert of the same key replaces the range).
        mutating func insert(_ key: String, _ range: Range<Int>) {
            if (count + 1) * 2 > keys.count { grow() }
            let bytes = Array(key.utf8)
            let slot = bytes.withUnsafeBufferPointer { bytes in keys.withUnsafeBufferPointer { CaseInsensitiveTable.find(bytes, in: $0) } }
            if keys[slot] == nil {
                keys[slot] = bytes
                count += 1
            }
            values[slot] = range
        }

        private mutating func grow() {
            let oldKeys = keys
            let oldValues = values
            keys = Array(repeating: nil, count: oldKeys.count * 2)
            values = Array(repeating: 0..<0, count: oldKeys.count * 2)
            for (i, key) in oldKeys.enumerated() {
                guard let key else { continue }
                let slot = key.withUnsafeBufferPointer { bytes in keys.withUnsafeBufferPointer { CaseInsensitiveTable.find(bytes, in: $0) } }
                keys[slot] = key
                values[slot] = oldValues[i]
            }
        }
    }

    private let keys: [[UInt8]?]
    private let values: [Range<Int>]

    init(_ builder: Builder) {
        keys = builder.keys
        values = builder.values
    }

    @inline(__always)
    private static func fold(_ b: UInt8) -> UInt8 { b &- 65 < 26 ? b | 0x20 : b }

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(fold(b))) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h)
    }

    /// The slot holding `bytes` (folded) or the empty slot where it would go.
    fileprivate static func find(_ bytes: UnsafeBufferPointer<UInt8>, in keys: UnsafeBufferPointer<[UInt8]?>) -> Int {
        let mask = keys.count - 1
        var slot = hash(bytes) & mask
        while let key = keys[slot] {
            if key.count == bytes.count {
                var same = true
                for i in 0..<key.count where key[i] != fold(bytes[i]) {
                    same = false
                    break
                }
                if same { return slot }
            }
            slot = (slot + 1) & mask
        }
        return slot
    }

    /// The range filed under `key`, compared case-insensitively; non-ASCII keys are lowercased first.
    func lookup(_ key: String) -> Range<Int>? {
        var key = key
        return keys.withUnsafeBufferPointer { keys in
            let slot = key.withUTF8 { buffer -> Int? in
                for byte in buffer where byte >= 0x80 { return nil }
                return Self.find(buffer, in: keys)
            } ?? {
                var lowered = key.lowercased()
                return lowered.withUTF8 { Self.find($0, in: keys) }
            }()
            return keys[slot] == nil ? nil : values[slot]
        }
    }
}

extension String {
    var isASCIIText: Bool { utf8.allSatisfy { $0 < 0x80 } }
}
