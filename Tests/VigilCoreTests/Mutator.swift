import VigilCore

/// Random damage for fuzz tests: a few insertions, deletions and replacements drawn from an alphabet.
struct Mutator<Element: Sendable>: Sendable {
    var alphabet: [Element]

    func damaged(_ original: [Element], edits: ClosedRange<Int> = 1...4, using rng: inout SplitMix64) -> [Element] {
        var items = original
        let count = edits.lowerBound + Int(rng.next() % UInt64(edits.count))
        for _ in 0..<count {
            let position = Int(rng.next() % UInt64(items.count + 1))
            switch rng.next() % 3 {
            case 0: items.insert(pick(&rng), at: position)
            case 1: if position < items.count { items.remove(at: position) }
            default: if position < items.count { items[position] = pick(&rng) }
            }
        }
        return items
    }

    func pick(_ rng: inout SplitMix64) -> Element { alphabet[Int(rng.next() % UInt64(alphabet.count))] }
}
