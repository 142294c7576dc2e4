import VigilCore

/// The prefilter: which rules can possibly match an event, from its `eventName` and `eventSource`.
///
/// A rule whose condition implies `eventName ∈ S` (or, failing that, `eventSource ∈ S`) with plain,
/// case-insensitive values is filed under each value of `S`; other rules are always candidates. Lookups fold
/// ASCII case on the fly and allocate nothing.
struct RuleIndex: Sendable {
    static let indexedFields = ["eventName", "eventSource"]
    private static let paths = indexedFields.map { FieldPath($0) }

    /// One table per indexed field.
    private var tables: [CaseInsensitiveTable]
    /// Rules filed under a field, per field (to evaluate all of them when the event's field is not a string).
    private var filed: [[Int]]
    private var always: [Int]
    private let ruleCount: Int

    init(rules: [SigmaRule]) {
        ruleCount = rules.count
        var tables = Self.indexedFields.map { _ in CaseInsensitiveTable() }
        var filed = Self.indexedFields.map { _ in [Int]() }
        var always: [Int] = []
        for (i, rule) in rules.enumerated() {
            var placed = false
            for (f, field) in Self.indexedFields.enumerated() {
                guard let values = rule.condition.requiredValues(of: field, rule.detections), values.allSatisfy(\.isASCIIText) else { continue }
                for value in values.sorted() { tables[f].insert(value, rule: i) }
                filed[f].append(i)
                placed = true
                break
            }
            if !placed { always.append(i) }
        }
        self.tables = tables
        self.filed = filed
        self.always = always
    }

    /// Calls `body` with every candidate rule for `event`, in ascending rule order, without allocating.
    func forEachCandidate(_ event: JSONValue, _ body: (Int) -> Void) {
        guard case .object(let object) = event else {
            for i in 0..<ruleCount { body(i) }
            return
        }
        var byName: ArraySlice<Int> = []
        var bySource: ArraySlice<Int> = []
        for (f, name) in Self.indexedFields.enumerated() {
            var value: JSONValue?
            for member in object.members where member.key == name {
                value = member.value
                break
            }
            let found: ArraySlice<Int>
            switch value {
            case .string(let s)?: found = tables[f].lookup(s)?[...] ?? []
            case nil, .null?: found = []
            default: found = filed[f][...]
            }
            if f == 0 { byName = found } else { bySource = found }
        }
        var rest = always[...]
        var last = -1
        while true {
            let a = rest.first ?? .max
            let b = byName.first ?? .max
            let c = bySource.first ?? .max
            let next = min(a, b, c)
            if next == .max { return }
            if a == next { rest.removeFirst() }
            if b == next { byName.removeFirst() }
            if c == next { bySource.removeFirst() }
            if next != last { body(next) }
            last = next
        }
    }
}

/// An open-addressing hash table from lowercased ASCII keys to rule lists, looked up without allocating.
struct CaseInsensitiveTable: Sendable {
    private var keys: [[UInt8]?] = Array(repeating: nil, count: 16)
    private var values: [[Int]] = Array(repeating: [], count: 16)
    private var count = 0

    @inline(__always)
    private static func fold(_ b: UInt8) -> UInt8 { b &- 65 < 26 ? b | 0x20 : b }

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(fold(b))) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h)
    }

    mutating func insert(_ key: String, rule: Int) {
        if (count + 1) * 2 > keys.count { grow() }
        var k = key
        let bytes = Array(k.utf8)
        let slot = k.withUTF8 { find($0) }
        if keys[slot] == nil {
            keys[slot] = bytes
            count += 1
        }
        if values[slot].last != rule { values[slot].append(rule) }
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        keys = Array(repeating: nil, count: oldKeys.count * 2)
        values = Array(repeating: [], count: oldKeys.count * 2)
        for (i, key) in oldKeys.enumerated() {
            guard let key else { continue }
            let slot = key.withUnsafeBufferPointer { find($0) }
            keys[slot] = key
            values[slot] = oldValues[i]
        }
    }

    /// The slot holding `bytes` (folded) or the empty slot where it would go.
    private func find(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let mask = keys.count - 1
        var slot = Self.hash(bytes) & mask
        while let key = keys[slot] {
            if key.count == bytes.count {
                var same = true
                for i in 0..<key.count where key[i] != Self.fold(bytes[i]) {
                    same = false
                    break
                }
                if same { return slot }
            }
            slot = (slot + 1) & mask
        }
        return slot
    }

    /// The rules filed under `key` compared case-insensitively; non-ASCII keys are lowercased first.
    func lookup(_ key: String) -> [Int]? {
        var key = key
        let slot = key.withUTF8 { buffer -> Int? in
            if buffer.contains(where: { $0 >= 0x80 }) { return nil }
            return find(buffer)
        }
        guard let slot = slot ?? {
            var lowered = key.lowercased()
            return lowered.withUTF8 { find($0) }
        }() else { return nil }
        return keys[slot] == nil ? nil : values[slot]
    }
}

extension String {
    var isASCIIText: Bool { utf8.allSatisfy { $0 < 0x80 } }
}
