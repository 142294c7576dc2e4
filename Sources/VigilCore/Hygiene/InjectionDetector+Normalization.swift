import Foundation

extension InjectionDetector {
    /// Text prepared for matching, in the forms the patterns need.
    struct NormalizedText {
        /// Lower-cased words after compatibility normalisation, diacritic and homoglyph folding; some word pairs joined.
        var words: [String]
        /// Lower-cased words without homoglyph folding (for non-Latin phrases); nil when identical to `words`.
        var nativeWords: [String]?
        /// `words` with leetspeak undone in words mixing letters and digits (`1gn0r3` → `ignore`); nil when identical.
        var leetWords: [String]?
        /// Lower-cased, folded text with punctuation kept and runs of white space collapsed (for role markers).
        var marked: String
        /// Letters and digits only, folded, leetspeak undone (for "IgnorePreviousInstructions", "i.g.n.o.r.e", …).
        var squeezed: [UInt8]
        /// Whether some word mixed Latin letters with look-alikes from another script.
        var mixedScript: Bool
    }

    static func normalize(_ text: String) -> NormalizedText {
        let ascii = text.utf8.allSatisfy { $0 < 0x80 }
        var mixedScript = false
        let folded: String
        var native: String?
        if ascii {
            folded = text.lowercased()
        } else {
            let compatible = text.precomposedStringWithCompatibilityMapping.lowercased()
            native = compatible
            var scalars = String.UnicodeScalarView()
            var wordHasLatin = false
            var wordHasLookalike = false
            for scalar in compatible.decomposedStringWithCanonicalMapping.unicodeScalars {
                if scalar.properties.generalCategory == .nonspacingMark { continue }
                if let latin = confusables[scalar.value] {
                    wordHasLookalike = true
                    scalars.append(latin)
                } else {
                    if scalar.value < 0x80, scalar.properties.isAlphabetic {
                        wordHasLatin = true
                    } else if !scalar.properties.isAlphabetic {
                        if wordHasLatin && wordHasLookalike { mixedScript = true }
                        wordHasLatin = false
                        wordHasLookalike = false
                    }
                    scalars.append(scalar)
                }
            }
            if wordHasLatin && wordHasLookalike { mixedScript = true }
            folded = String(scalars)
        }
        let words = joinPairs(split(folded))
        var nativeWords: [String]?
        if let native {
            let candidate = joinPairs(split(native))
            if candidate != words { nativeWords = candidate }
        }
        return NormalizedText(
            words: words,
            nativeWords: nativeWords,
            leetWords: unleet(words),
            marked: collapseWhitespace(folded),
            squeezed: squeeze(folded),
            mixedScript: mixedScript
        )
    }

    /// Splits at everything that is not a letter or a digit.
    static func split(_ text: String) -> [String] {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return splitASCII(text) }
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                current.append(scalar)
            } else if !current.isEmpty {
                words.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    static func splitASCII(_ text: String) -> [String] {
        var words: [String] = []
        var start = -1
        let bytes = Array(text.utf8)
        for (i, b) in bytes.enumerated() {
            let isWordByte = (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A)
            if isWordByte {
                if start < 0 { start = i }
            } else if start >= 0 {
                words.append(String(decoding: bytes[start..<i], as: UTF8.self))
                start = -1
            }
        }
        if start >= 0 { words.append(String(decoding: bytes[start...], as: UTF8.self)) }
        return words
    }

    /// Word pairs read as one word by the patterns.
    static let pairs: [String: [String: String]] = [
        "false": ["positive": "falsepositive", "positives": "falsepositive", "alarm": "falsealarm"],
        "not": ["malicious": "notmalicious", "suspicious": "notmalicious"],
        "non": ["malicious": "nonmalicious"],
        "do": ["not": "dont"],
        "don": ["t": "dont"],
        "pen": ["test": "pentest", "testing": "pentest"],
        "penetration": ["test": "pentest", "testing": "pentest"],
        "red": ["team": "redteam", "teaming": "redteam"],
        "white": ["listed": "whitelisted"],
        "allow": ["listed": "allowlisted"],
        "auto": ["close": "autoclose", "closed": "autoclose"],
        "language": ["model": "llm"],
        "ai": ["model": "llm", "assistant": "assistant", "agent": "assistant", "system": "assistant", "analyst": "assistant"],
        "chat": ["gpt": "chatgpt", "bot": "chatbot"],
        "system": ["prompt": "systemprompt", "message": "systemprompt", "instructions": "systemprompt"],
        "developer": ["mode": "developermode"],
        "soc": ["analyst": "analyst", "analysts": "analyst", "team": "analyst"],
        "security": ["analyst": "analyst", "analysts": "analyst"],
        "triage": ["agent": "assistant", "bot": "assistant", "model": "assistant", "system": "assistant"],
        "you": ["are": "youare", "re": "youare"],
        "low": ["risk": "lowrisk", "priority": "lowrisk"],
        "follow": ["up": "followup"],
        "no": ["issue": "noissue", "issues": "noissue", "threat": "nothreat", "threats": "nothreat"],
        "known": ["good": "knowngood"],
        "falso": ["positivo": "falsepositive"],
        "faux": ["positif": "falsepositive", "positifs": "falsepositive"],
        "falsch": ["positiv": "falsepositive"],
        "signed": ["off": "signedoff"],
    ]

    static func joinPairs(_ words: [String]) -> [String] {
        guard words.count > 1 else { return words }
        var out: [String] = []
        out.reserveCapacity(words.count)
        var i = 0
        while i < words.count {
            if i + 1 < words.count, let joined = pairs[words[i]]?[words[i + 1]] {
                out.append(joined)
                i += 2
            } else {
                out.append(words[i])
                i += 1
            }
        }
        return out
    }

    /// `words` with leetspeak undone in the words that mix letters with leet digits; nil when no word does.
    static func unleet(_ words: [String]) -> [String]? {
        var changed = false
        let mapped = words.map { word -> String in
            var hasLetter = false
            var hasLeet = false
            for byte in word.utf8 {
                if byte >= 0x61 && byte <= 0x7A { hasLetter = true } else if leet[byte] != nil { hasLeet = true }
            }
            guard hasLetter && hasLeet else { return word }
            changed = true
            return String(decoding: word.utf8.map { leet[$0] ?? $0 }, as: UTF8.self)
        }
        return changed ? joinPairs(mapped) : nil
    }

    static func collapseWhitespace(_ text: String) -> String {
        var previousWasSpace = false
        let needsWork = text.utf8.contains { byte in
            defer { previousWasSpace = byte == 0x20 }
            return byte == 0x09 || (byte == 0x20 && previousWasSpace)
        }
        guard needsWork else { return text }
        var out = String.UnicodeScalarView()
        var lastWasSpace = false
        for scalar in text.unicodeScalars {
            if scalar == " " || scalar == "\t" {
                if !lastWasSpace { out.append(" ") }
                lastWasSpace = true
            } else {
                out.append(scalar)
                lastWasSpace = false
            }
        }
        return String(out)
    }

    static let leet: [UInt8: UInt8] = [
        0x30: 0x6F, 0x31: 0x69, 0x33: 0x65, 0x34: 0x61, 0x35: 0x73, 0x37: 0x74, 0x40: 0x61, 0x24: 0x73, 0x21: 0x69,
    ]

    static func squeeze(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if byte >= 0x61 && byte <= 0x7A { out.append(byte) } else if let letter = leet[byte] { out.append(letter) }
        }
        return out
    }

    /// Letters from other scripts (and Latin variants) that look like basic Latin letters.
    static let confusables: [UInt32: Unicode.Scalar] = {
        let table: [(String, String)] = [
            // Cyrillic
            ("а", "a"), ("в", "b"), ("е", "e"), ("ё", "e"), ("к", "k"), ("м", "m"), ("н", "h"), ("о", "o"), ("р", "p"),
            ("с", "c"), ("т", "t"), ("у", "y"), ("х", "x"), ("ѕ", "s"), ("і", "i"), ("ї", "i"), ("ј", "j"), ("ԁ", "d"),
            ("ԛ", "q"), ("ԝ", "w"), ("һ", "h"), ("ӏ", "l"), ("ү", "y"), ("ɡ", "g"), ("ь", "b"), ("п", "n"), ("г", "r"),
            // Greek
            ("α", "a"), ("ο", "o"), ("ρ", "p"), ("ν", "v"), ("τ", "t"), ("υ", "u"), ("ι", "i"), ("κ", "k"), ("ε", "e"),
            ("χ", "x"), ("γ", "y"), ("ω", "w"), ("ϲ", "c"), ("ϳ", "j"), ("η", "n"), ("μ", "u"), ("β", "b"), ("ζ", "z"),
            // Armenian
            ("օ", "o"), ("ս", "u"), ("ո", "n"), ("ց", "g"), ("հ", "h"), ("զ", "q"), ("ք", "p"),
            // Latin variants and small capitals
            ("ı", "i"), ("ȷ", "j"), ("ɑ", "a"), ("ɩ", "i"), ("ʟ", "l"), ("ɴ", "n"), ("ʀ", "r"), ("ᴀ", "a"), ("ʙ", "b"),
            ("ᴄ", "c"), ("ᴅ", "d"), ("ᴇ", "e"), ("ɢ", "g"), ("ʜ", "h"), ("ɪ", "i"), ("ᴊ", "j"), ("ᴋ", "k"), ("ᴍ", "m"),
            ("ᴏ", "o"), ("ᴘ", "p"), ("ꜱ", "s"), ("ᴛ", "t"), ("ᴜ", "u"), ("ᴠ", "v"), ("ᴡ", "w"), ("ʏ", "y"), ("ᴢ", "z"),
            ("ɛ", "e"), ("ɔ", "c"), ("ƅ", "b"), ("ɒ", "a"), ("ℓ", "l"), ("ø", "o"), ("đ", "d"), ("ł", "l"), ("ħ", "h"),
        ]
        var map: [UInt32: Unicode.Scalar] = [:]
        for (from, to) in table {
            map[from.unicodeScalars.first!.value] = to.unicodeScalars.first!
            // Upper-case forms fold the same way (the text is lower-cased first, but not every script round-trips).
            for upper in from.uppercased().unicodeScalars where upper.value >= 0x80 { map[upper.value] = to.unicodeScalars.first! }
        }
        return map
    }()
}
