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
        var runs: [Substring] = []
        var start: String.Index?
        var index = text.startIndex
        func close(at end: String.Index) {
            if let s = start, text.distance(from: s, to: end) >= 16 { runs.append(text[s..<end]) }
            start = nil
        }
        while index < text.endIndex {
            let c = text[index]
            if c.isASCII, c.isLetter || c.isNumber || c == "+" || c == "/" || c == "-" || c == "_" {
                if start == nil { start = index }
            } else {
                close(at: index)
            }
            index = text.index(after: index)
        }
        close(at: text.endIndex)
        return runs
    }

    /// The UTF-8 text a base64 run decodes to, when it decodes to mostly printable text. The run may carry up to
    /// three glued-on leading characters (`abcSGVsbG8…`): each offset is tried.
    static func decodeBase64(_ run: Substring) -> String? {
        let standard = run.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        for offset in 0..<4 where standard.count - offset >= 16 {
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
        let pattern = /arn:aws[A-Za-z-]*:(?:iam|sts)::\d{12}:(?:user|role|assumed-role|federated-user|root|group)[A-Za-z0-9+=,.@_\/-]*/
        return unique(text.matches(of: pattern).map { trimTrailingPunctuation(String($0.output)) })
    }

    /// ARNs of any other service (resources), in order, without duplicates.
    static func resourceARNs(in text: String) -> [String] {
        let pattern = /arn:aws[A-Za-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:[A-Za-z0-9+=,.@_\/:*-]+/
        let principals = Set(principalARNs(in: text))
        return unique(text.matches(of: pattern).map { trimTrailingPunctuation(String($0.output)) }).filter { !principals.contains($0) }
    }

    /// IPv4 addresses as written, public ones first, without duplicates.
    static func ipv4Addresses(in text: String) -> [String] {
        let pattern = /\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b/
        var found: [String] = []
        for match in text.matches(of: pattern) {
            let octets = [match.output.1, match.output.2, match.output.3, match.output.4].compactMap { Int($0) }
            guard octets.count == 4, octets.allSatisfy({ $0 <= 255 }) else { continue }
            found.append(String(match.output.0))  // as written: anonymised data keeps leading zeros (`06.237.252.245`)
        }
        let all = unique(found)
        return all.filter { !isPrivate($0) } + all.filter { isPrivate($0) }
    }

    /// 12-digit AWS account ids taken from ARNs or from `account`-named fields, without duplicates.
    static func accountIDs(in text: String) -> [String] {
        var found: [String] = []
        for match in text.matches(of: /arn:aws[A-Za-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/) { found.append(String(match.output.1)) }
        for match in text.matches(of: /(?i)account[A-Za-z_]*"?\s*[:=]\s*"?(\d{12})\b/) { found.append(String(match.output.1)) }
        return unique(found)
    }

    private static func isPrivate(_ address: String) -> Bool {
        let octets = address.split(separator: ".").compactMap { Int($0) }
        guard octets.count == 4 else { return true }
        return octets[0] == 10 || octets[0] == 127 || (octets[0] == 172 && (16...31).contains(octets[1]))
            || (octets[0] == 192 && octets[1] == 168) || octets[0] == 0
    }

    private static func trimTrailingPunctuation(_ s: String) -> String {
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
        let pattern = /(?i)vigil-sim-behaviour[^A-Za-z0-9]{1,6}([A-Za-z]+(?:-[A-Za-z]+)*(?:\/[A-Za-z]+(?:-[A-Za-z]+)*)?)/
        return expanded(text).firstMatch(of: pattern).map { String($0.output.1).lowercased() }
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
