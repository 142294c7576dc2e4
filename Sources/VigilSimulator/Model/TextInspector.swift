import Foundation
import VigilCore

/// Reads untrusted text the way a model would: through invisible characters, homoglyphs, data marks and base64.
///
/// Pure functions over strings; the simulated model uses them to find the alert's principal, address and account,
/// evidence ids in tool results, threat signals and injected instructions.
enum TextInspector {
    /// The text plus the decoded content of every base64 run in it that decodes to readable UTF-8.
    static func expanded(_ text: String) -> String {
        var out = text
        for run in base64Runs(in: text) {
            if let decoded = decodeBase64(run) { out += "\n" + decoded }
        }
        return out
    }

    /// Lower-cased text with format characters (zero-width, bidi, tags) and variation selectors removed, common
    /// Cyrillic and Greek homoglyphs mapped to Latin letters, compatibility forms folded (NFKC), and every run of
    /// characters that are neither letters nor digits turned into one space (so data marks such as `^` between
    /// words read as spaces), and camelCase words split (`IgnorePreviousInstructions` reads as three words).
    static func normalized(_ text: String) -> String {
        let folded = text.precomposedStringWithCompatibilityMapping
        var out = String.UnicodeScalarView()
        var lastWasSpace = true
        var lastWasLowercase = false
        for scalar in folded.unicodeScalars {
            if scalar.properties.generalCategory == .format || (0xFE00...0xFE0F).contains(scalar.value)
                || (0xE0100...0xE01EF).contains(scalar.value)
            {
                continue
            }
            let mapped = homoglyphs[scalar] ?? scalar
            let lower = mapped.properties.lowercaseMapping.unicodeScalars.first ?? mapped
            if lower.properties.isAlphabetic || ("0"..."9").contains(lower) {
                if lastWasLowercase, mapped.properties.isUppercase { out.append(" ") }  // camelCase → camel case
                out.append(lower)
                lastWasSpace = false
                lastWasLowercase = mapped.properties.isLowercase
            } else {
                if !lastWasSpace { out.append(" ") }
                lastWasSpace = true
                lastWasLowercase = false
            }
        }
        return String(out)
    }

    private static let homoglyphs: [Unicode.Scalar: Unicode.Scalar] = {
        let pairs: [(String, String)] = [
            ("а", "a"), ("е", "e"), ("о", "o"), ("р", "p"), ("с", "c"), ("х", "x"), ("у", "y"), ("і", "i"), ("ѕ", "s"),
            ("ј", "j"), ("ԁ", "d"), ("һ", "h"), ("ӏ", "l"), ("к", "k"), ("м", "m"), ("т", "t"), ("в", "b"), ("н", "h"),
            ("А", "A"), ("В", "B"), ("Е", "E"), ("К", "K"), ("М", "M"), ("Н", "H"), ("О", "O"), ("Р", "P"), ("С", "C"),
            ("Т", "T"), ("Х", "X"), ("У", "Y"), ("І", "I"), ("Ѕ", "S"), ("ο", "o"), ("α", "a"), ("ε", "e"), ("ι", "i"),
            ("κ", "k"), ("ν", "v"), ("ρ", "p"), ("τ", "t"), ("υ", "u"), ("χ", "x"), ("Α", "A"), ("Β", "B"), ("Ε", "E"),
            ("Ζ", "Z"), ("Η", "H"), ("Ι", "I"), ("Κ", "K"), ("Μ", "M"), ("Ν", "N"), ("Ο", "O"), ("Ρ", "P"), ("Τ", "T"),
            ("Χ", "X"), ("Υ", "Y"), ("ɡ", "g"), ("ɑ", "a"), ("ℓ", "l"),
        ]
        var table: [Unicode.Scalar: Unicode.Scalar] = [:]
        for (from, to) in pairs { table[from.unicodeScalars.first!] = to.unicodeScalars.first! }
        return table
    }()

    /// Runs of at least 16 base64 (or base64url) characters, padding excluded.
    static func base64Runs(in text: String) -> [Substring] {
        guard let runs = Scanner.read(text, { $0.base64Runs() }) else { return Reference.base64Runs(in: text) }
        let utf8 = text.utf8
        return runs.map { run in
            text[utf8.index(utf8.startIndex, offsetBy: run.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: run.upperBound)]
        }
    }

    /// The UTF-8 text a base64 run decodes to, when it decodes to mostly printable text. The run may carry up to
    /// three glued-on leading characters (`abcSGVsbG8…`): each offset is tried.
    static func decodeBase64(_ run: Substring) -> String? {
        let characters = Array(run.utf8)
        guard characters.allSatisfy(ByteSet.base64.contains) else { return decodeBase64(run, offsets: 0..<4) }
        for offset in 0..<4 where characters.count - offset >= 16 {
            // Most runs (ids, keys) decode to binary: rejected here without Foundation; a candidate is confirmed by
            // the Foundation path, which decodes the same bytes whenever it accepts the run.
            if Base64Candidate.isCertainlyRejected(characters[offset...]) { continue }
            if let decoded = decodeBase64(run, offsets: offset..<offset + 1) { return decoded }
        }
        return nil
    }

    /// The Foundation path: `Data(base64Encoded:)`, UTF-8, then the printable and letter checks.
    static func decodeBase64(_ run: Substring, offsets: Range<Int>) -> String? {
        let standard = run.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        for offset in offsets where standard.count - offset >= 16 {
            var s = String(standard.dropFirst(offset))
            if s.count % 4 == 1 { s.removeLast() }
            while s.count % 4 != 0 { s += "=" }
            guard let data = Data(base64Encoded: s), let decoded = String(data: data, encoding: .utf8) else { continue }
            let scalars = decoded.unicodeScalars
            let printable = scalars.count { $0.properties.isWhitespace || !$0.properties.generalCategory.isControlOrUnassigned }
            let letters = scalars.count { $0.properties.isAlphabetic || $0 == " " }
            if printable == scalars.count, letters * 10 >= scalars.count * 6 { return decoded }
        }
        return nil
    }

    // MARK: Entities

    /// The JSON document in a text: the whole text when it parses, else the span from its first `{` to its last
    /// `}` (an alert embedded in a prompt), else nil.
    static func embeddedJSON(in text: String) -> JSONValue? {
        let parser = JSONParser(duplicateKeys: .lastWins)
        if let whole = try? parser.parse(text), whole.objectValue != nil { return whole }
        guard let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}"), open < close else { return nil }
        return try? parser.parse(text[open...close].utf8)
    }

    /// IAM and STS principal ARNs, in order of appearance, without duplicates.
    static func principalARNs(in text: String) -> [String] {
        guard let found = Scanner.read(text, { $0.principalARNs() }) else { return Reference.principalARNs(in: text) }
        return unique(found.map(trimTrailingPunctuation))
    }

    /// ARNs of any other service (resources), in order, without duplicates.
    static func resourceARNs(in text: String) -> [String] {
        guard let (principals, resources) = Scanner.read(text, { ($0.principalARNs(), $0.resourceARNs()) }) else {
            return Reference.resourceARNs(in: text)
        }
        let excluded = Set(principals.map(trimTrailingPunctuation))
        return unique(resources.map(trimTrailingPunctuation)).filter { !excluded.contains($0) }
    }

    /// IPv4 addresses as written, public ones first, without duplicates.
    static func ipv4Addresses(in text: String) -> [String] {
        let found =
            Scanner.read(text) { scanner in
                scanner.ipv4Matches().compactMap { match -> String? in
                    let octets = match.octets.compactMap { Int($0) }
                    guard octets.count == 4, octets.allSatisfy({ $0 <= 255 }) else { return nil }
                    return match.text  // as written: anonymised data keeps leading zeros (`06.237.252.245`)
                }
            } ?? Reference.ipv4Matches(in: text)
        let all = unique(found)
        return all.filter { !isPrivate($0) } + all.filter { isPrivate($0) }
    }

    /// 12-digit AWS account ids taken from ARNs or from `account`-named fields, without duplicates.
    static func accountIDs(in text: String) -> [String] {
        Scanner.read(text) { unique($0.accountIDs()) } ?? Reference.accountIDs(in: text)
    }

    private static func isPrivate(_ address: String) -> Bool {
        let octets = address.split(separator: ".").compactMap { Int($0) }
        guard octets.count == 4 else { return true }
        return octets[0] == 10 || octets[0] == 127 || (octets[0] == 172 && (16...31).contains(octets[1]))
            || (octets[0] == 192 && octets[1] == 168) || octets[0] == 0
    }

    static func trimTrailingPunctuation(_ s: String) -> String {
        var s = s
        while let last = s.last, ".,:;/".contains(last) { s.removeLast() }
        return s
    }

    static func unique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }

    // MARK: Behaviour marker

    /// The behaviour named by a `vigil-sim-behaviour: NAME` marker, if the text carries one (also inside base64).
    static func behaviourMarker(in text: String) -> String? {
        let text = expanded(text)
        // No marker without "behav" in some case (no other character folds to these letters under `(?i)`).
        if Scanner.read(text, requiringPlain: false, { $0.find("behav", from: 0, ignoringCase: true) == nil })! { return nil }
        return Reference.behaviourMarker(inExpanded: text)
    }
}

extension Unicode.GeneralCategory {
    fileprivate var isControlOrUnassigned: Bool {
        switch self {
        case .control, .unassigned, .surrogate: true
        default: false
        }
    }
}
