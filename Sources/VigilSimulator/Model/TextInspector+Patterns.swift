extension TextInspector.Scanner {
    // Each function below finds what the ``TextInspector/Reference`` pattern of the same name finds, in a plain
    // text: leftmost matches, each search resuming where the last match ended, the same backtracking outcome.

    typealias ByteSet = TextInspector.ByteSet

    /// `arn:aws[A-Za-z-]*:` at `start`: the offset after its colon.
    private func arnPrefix(at start: Int) -> Int? {
        guard hasLiteral("arn:aws", at: start) else { return nil }
        let end = skip(from: start + 7, while: .lettersAndHyphen)
        return self[end] == 0x3A ? end + 1 : nil
    }

    /// `arn:aws[A-Za-z-]*:[a-z0-9-]+:[a-z0-9-]*:` at `start`: the offset after its last colon (where the account is).
    private func arnHead(at start: Int) -> Int? {
        guard let service = arnPrefix(at: start) else { return nil }
        let serviceEnd = skip(from: service, while: .lowerDigitsHyphen)
        guard serviceEnd > service, self[serviceEnd] == 0x3A else { return nil }
        let regionEnd = skip(from: serviceEnd + 1, while: .lowerDigitsHyphen)
        return self[regionEnd] == 0x3A ? regionEnd + 1 : nil
    }

    /// The end of a run of at most `limit` `\d` characters from `index`, and how many it holds.
    private func digitRun(from index: Int, limit: Int) -> (end: Int, digits: Int) {
        var end = index
        var digits = 0
        while digits < limit, case let length = digitLength(at: end), length > 0 {
            end += length
            digits += 1
        }
        return (end, digits)
    }

    /// Non-overlapping matches of a pattern that starts with the literal `first`, left to right.
    private func matches<Match>(startingWith first: StaticString, ignoringCase: Bool = false, _ match: (Int) -> (Match, end: Int)?) -> [Match] {
        var found: [Match] = []
        var from = 0
        while let start = find(first, from: from, ignoringCase: ignoringCase) {
            if let (value, end) = match(start) {
                found.append(value)
                from = end
            } else {
                from = start + 1
            }
        }
        return found
    }

    private static let principalKinds: [StaticString] = ["user", "role", "assumed-role", "federated-user", "root", "group"]

    /// ``TextInspector/Reference/principalARN``.
    func principalARNs() -> [String] {
        matches(startingWith: "arn:aws") { start in
            guard var index = arnPrefix(at: start), hasLiteral("iam::", at: index) || hasLiteral("sts::", at: index) else { return nil }
            let (end, digits) = digitRun(from: index + 5, limit: 12)
            guard digits == 12, self[end] == 0x3A else { return nil }
            index = end + 1
            guard Self.principalKinds.contains(where: { hasLiteral($0, at: index) }) else { return nil }
            let stop = skip(from: index, while: .principalTail)
            return (string(start..<stop), stop)
        }
    }

    /// ``TextInspector/Reference/resourceARN``.
    func resourceARNs() -> [String] {
        matches(startingWith: "arn:aws") { start in
            guard let account = arnHead(at: start) else { return nil }
            let (end, digits) = digitRun(from: account, limit: 13)
            guard digits <= 12, self[end] == 0x3A else { return nil }
            let stop = skip(from: end + 1, while: .resourceTail)
            return stop > end + 1 ? (string(start..<stop), stop) : nil
        }
    }

    /// ``TextInspector/Reference/arnAccount`` then ``TextInspector/Reference/accountField``: the captured ids.
    func accountIDs() -> [String] {
        let fromARNs = matches(startingWith: "arn:aws") { start -> (String, end: Int)? in
            guard let account = arnHead(at: start) else { return nil }
            let (end, digits) = digitRun(from: account, limit: 12)
            return digits == 12 && self[end] == 0x3A ? (string(account..<end), end + 1) : nil
        }
        let fromFields = matches(startingWith: "account", ignoringCase: true) { start -> (String, end: Int)? in
            var index = skip(from: start + 7, while: .lettersAndUnderscore)
            if self[index] == 0x22 { index += 1 }
            index = skipWhitespace(from: index)
            guard self[index] == 0x3A || self[index] == 0x3D else { return nil }
            index = skipWhitespace(from: index + 1)
            if self[index] == 0x22 { index += 1 }
            let (end, digits) = digitRun(from: index, limit: 12)
            return digits == 12 && isWordBoundary(end) ? (string(index..<end), end) : nil
        }
        return fromARNs + fromFields
    }

    /// ``TextInspector/Reference/ipv4``: each match's text and its four octets' texts.
    func ipv4Matches() -> [(text: String, octets: [String])] {
        var found: [(String, [String])] = []
        var index = 0
        while index < count {
            if digitLength(at: index) > 0, isWordBoundary(index), let (octets, end) = ipv4(at: index) {
                found.append((string(index..<end), octets))
                index = end
            } else {
                index += characterLength(at: index)
            }
        }
        return found
    }

    private func ipv4(at start: Int) -> ([String], end: Int)? {
        var octets: [String] = []
        var index = start
        for _ in 0..<3 {
            // A shorter `\d{1,3}` is followed by a digit, never the dot: only the whole run (1…3 digits) can match.
            let (end, digits) = digitRun(from: index, limit: 4)
            guard (1...3).contains(digits), self[end] == 0x2E else { return nil }
            octets.append(string(index..<end))
            index = end + 1
        }
        var ends: [Int] = []
        var end = index
        while ends.count < 3, case let length = digitLength(at: end), length > 0 {
            end += length
            ends.append(end)
        }
        // The last `\d{1,3}\b`: the longest that ends on a word boundary.
        guard let last = ends.last(where: isWordBoundary) else { return nil }
        return (octets + [string(index..<last)], last)
    }

    private static let threatWords: [StaticString] = ["malicious", "suspicious", "privileged", "threat"]
    private static let negativeValues: [StaticString] = ["false", "no", "none", "null", "0"]
    private static let negators: [StaticString] = ["not", "non", "no"]

    /// ``TextInspector/Reference/negatedField`` matches (in lower-cased text).
    func negatedFields() -> [Range<Int>] {
        var found: [Range<Int>] = []
        var index = 0
        while index < count {
            let runStart = self[index] == 0x22 ? index + 1 : index
            let runEnd = skip(from: runStart, while: .lowerAndUnderscore)
            guard runEnd > runStart else {
                index += characterLength(at: index)
                continue
            }
            // Every start inside the run reads the same tail, and a sub-run holds no word the run lacks: the run is
            // decided at its first position (or at the quote before it).
            if containsThreatWord(runStart..<runEnd), let end = negatedFieldTail(at: runEnd) {
                found.append(index..<end)
                index = end
            } else {
                index = runEnd
            }
        }
        return found
    }

    private func containsThreatWord(_ run: Range<Int>) -> Bool {
        run.contains { start in Self.threatWords.contains { hasLiteral($0, at: start) && start + $0.utf8CodeUnitCount <= run.upperBound } }
    }

    /// `"?\s*[:=]\s*"?(false|no|none|null|0)\b` at `index`: its end.
    private func negatedFieldTail(at index: Int) -> Int? {
        var index = index
        if self[index] == 0x22 { index += 1 }
        index = skipWhitespace(from: index)
        guard self[index] == 0x3A || self[index] == 0x3D else { return nil }
        index = skipWhitespace(from: index + 1)
        if self[index] == 0x22 { index += 1 }
        for value in Self.negativeValues where hasLiteral(value, at: index) {
            let end = index + value.utf8CodeUnitCount
            if isWordBoundary(end) { return end }
        }
        return nil
    }

    /// ``TextInspector/Reference/negatedWord`` matches (in lower-cased text).
    func negatedWords() -> [Range<Int>] {
        var found: [Range<Int>] = []
        var index = 0
        while let start = find("n", from: index) {
            if isWordBoundary(start), let end = negatedWord(at: start) {
                found.append(start..<end)
                index = end
            } else {
                index = start + 1
            }
        }
        return found
    }

    private func negatedWord(at start: Int) -> Int? {
        for negator in Self.negators where hasLiteral(negator, at: start) {
            let separator = start + negator.utf8CodeUnitCount
            guard self[separator] == 0x20 || self[separator] == 0x2D else { continue }
            for word in Self.threatWords where hasLiteral(word, at: separator + 1) { return separator + 1 + word.utf8CodeUnitCount }
        }
        return nil
    }

    /// The bytes with each range replaced by one space (as `String.replacing(_:with: " ")`).
    func replacing(_ ranges: [Range<Int>]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var index = 0
        for range in ranges {
            out.append(contentsOf: bytes[index..<range.lowerBound])
            out.append(0x20)
            index = range.upperBound
        }
        out.append(contentsOf: bytes[index..<count])
        return out
    }

    /// Whether `word` occurs with a word boundary on both sides (`\bword\b`).
    func containsWord(_ word: StaticString) -> Bool {
        var index = 0
        while let start = find(word, from: index) {
            if isWordBoundary(start), isWordBoundary(start + word.utf8CodeUnitCount) { return true }
            index = start + 1
        }
        return false
    }

    private static let routineWords: [StaticString] = ["routine", "known", "expected", "benign", "clean", "trusted"]
    private static let failureWords: [StaticString] = ["failed", "timed out", "timeout", "unavailable"]

    /// ``TextInspector/Reference/routine`` (in lower-cased text).
    func mentionsRoutine() -> Bool {
        if Self.routineWords.contains(where: containsWord) || find("no findings", from: 0) != nil { return true }
        var index = 0
        while let start = find("\"findings\"", from: index) {
            var at = skipWhitespace(from: start + 10)
            if self[at] == 0x3A {
                at = skipWhitespace(from: at + 1)
                if hasLiteral("[]", at: at) { return true }
            }
            index = start + 1
        }
        return false
    }

    /// ``TextInspector/Reference/failure`` (in lower-cased text).
    func mentionsFailure() -> Bool { Self.failureWords.contains(where: containsWord) }

    /// ``TextInspector/Reference/evidenceIDs(in:key:)`` for a key of ASCII letters, digits and `_`.
    func evidenceIDs(key: String) -> [String] {
        let needle = Array("\"\(key)\"".utf8)
        return needle.withUnsafeBufferPointer { needle in
            var found: [String] = []
            var from = 0
            while let start = find(needle, from: from) {
                if let (id, end) = evidenceValue(at: start + needle.count) {
                    found.append(id)
                    from = end
                } else {
                    from = start + 1
                }
            }
            return found
        }
    }

    /// `\s*:\s*"([^"\\]{1,128})"` at `index`: the id and the match's end.
    private func evidenceValue(at index: Int) -> (String, end: Int)? {
        var index = skipWhitespace(from: index)
        guard self[index] == 0x3A else { return nil }
        index = skipWhitespace(from: index + 1)
        guard self[index] == 0x22 else { return nil }
        let start = index + 1
        index = start
        var characters = 0
        while index < count, bytes[index] != 0x22, bytes[index] != 0x5C, characters <= 128 {
            index += characterLength(at: index)
            characters += 1
        }
        guard (1...128).contains(characters), self[index] == 0x22, index < count else { return nil }
        return (string(start..<index), index + 1)
    }

    /// Runs of at least 16 base64 characters (as ``TextInspector/Reference/base64Runs(in:)`` finds them).
    func base64Runs() -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var index = 0
        while index < count {
            let end = skip(from: index, while: .base64)
            if end - index >= 16 { runs.append(index..<end) }
            index = end == index ? index + 1 : end
        }
        return runs
    }
}
