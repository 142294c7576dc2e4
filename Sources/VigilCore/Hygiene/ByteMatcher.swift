/// Finds any of a fixed set of byte strings in text, trying only the needles whose first byte occurs.
///
/// For the detector's short needle lists over short fields this beats repeated `String.contains` by far.
struct ByteMatcher: Sendable {
    let needles: [[UInt8]]
    private let byFirstByte: [[Int]]

    init(_ needles: [String]) {
        self.needles = needles.map { Array($0.utf8) }
        var index = [[Int]](repeating: [], count: 256)
        for (i, needle) in self.needles.enumerated() where !needle.isEmpty { index[Int(needle[0])].append(i) }
        self.byFirstByte = index
    }

    /// The index of the first needle (by position in `haystack`) that occurs, or nil.
    func firstMatch(in haystack: [UInt8]) -> Int? {
        for start in haystack.indices {
            for candidate in byFirstByte[Int(haystack[start])] {
                let needle = needles[candidate]
                guard start + needle.count <= haystack.count else { continue }
                var equal = true
                for k in 1..<needle.count where haystack[start + k] != needle[k] {
                    equal = false
                    break
                }
                if equal { return candidate }
            }
        }
        return nil
    }
}
