import VigilCore

/// Turns a rule's `detection` section into compiled ``Detection``s, applying modifiers in the written order.
struct DetectionCompiler {
    /// Values for `%name%` placeholders of the `expand` modifier.
    var placeholders: [String: [String]]

    static let knownModifiers: Set<String> = [
        "contains", "startswith", "endswith", "all", "exists", "cased", "neq", "re", "i", "m", "s",
        "ignorecase", "multiline", "dotall", "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide",
        "windash", "cidr", "lt", "lte", "gt", "gte", "fieldref", "expand",
        "minute", "hour", "day", "week", "month", "year",
    ]

    func detection(name: String, definition: JSONValue) throws(RuleProblem) -> Detection {
        switch definition {
        case .object(let object):
            return Detection(name: name, groups: [try group(object, detection: name)])
        case .array(let items):
            if items.allSatisfy({ if case .object = $0 { true } else { false } }) {
                var groups: [[DetectionItem]] = []
                for item in items { groups.append(try group(item.objectValue!, detection: name)) }
                if groups.isEmpty { throw RuleProblem(.invalidField, "detection '\(name)' is an empty list") }
                return Detection(name: name, groups: groups)
            }
            if items.contains(where: { if case .object = $0 { true } else { false } }) {
                throw RuleProblem(.invalidField, "detection '\(name)' mixes maps and keywords in one list")
            }
            return Detection(name: name, groups: [[try item(key: "", value: definition, detection: name)]])
        case .string, .int, .double, .bool:
            return Detection(name: name, groups: [[try item(key: "", value: definition, detection: name)]])
        case .null:
            throw RuleProblem(.invalidField, "detection '\(name)' is empty")
        }
    }

    private func group(_ object: JSONObject, detection: String) throws(RuleProblem) -> [DetectionItem] {
        var items: [DetectionItem] = []
        for member in object.members { items.append(try item(key: member.key, value: member.value, detection: detection)) }
        return items
    }

    /// One value as it passes through the modifiers.
    private enum Stage {
        case patterns([SigmaPattern])
        case regex(String)
        case cidr(String)
        case compare(ValueTest.ComparisonOperator, Double)
        case exists(Bool)
        case fieldReference(FieldPath, ValueTest.FieldReferenceMode)
        case timePart(ValueTest.TimePart, Int)
        case null
    }

    func item(key: String, value: JSONValue, detection: String) throws(RuleProblem) -> DetectionItem {
        let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let fieldName = parts[0]
        let modifiers = Array(parts.dropFirst())
        let context = "detection '\(detection)', field '\(fieldName)'"
        for modifier in modifiers where !Self.knownModifiers.contains(modifier) {
            throw RuleProblem(.invalidModifier, "\(context): unknown modifier '\(modifier)'")
        }
        let values: [JSONValue]
        if case .array(let items) = value {
            guard !items.isEmpty else { throw RuleProblem(.invalidValue, "\(context): empty value list") }
            values = items
        } else {
            values = [value]
        }
        if modifiers.contains("all"), values.count < 2, !fieldName.isEmpty {
            throw RuleProblem(.invalidModifier, "\(context): 'all' needs a list of at least two values")
        }
        let cased = modifiers.contains("cased")
        let ignoreCase = modifiers.contains { $0 == "i" || $0 == "ignorecase" }
        let multiline = modifiers.contains { $0 == "m" || $0 == "multiline" }
        let dotAll = modifiers.contains { $0 == "s" || $0 == "dotall" }
        if (ignoreCase || multiline || dotAll), !modifiers.contains("re") {
            throw RuleProblem(.invalidModifier, "\(context): 'i', 'm' and 's' apply only with 're'")
        }
        if fieldName.isEmpty, modifiers.contains(where: { ["exists", "fieldref", "neq"].contains($0) }) {
            throw RuleProblem(.invalidModifier, "\(context): exists, fieldref and neq need a field")
        }

        var tests: [ValueTest] = []
        var plainValues: [String]? = modifiers.filter({ $0 != "all" }).isEmpty && !fieldName.isEmpty ? [] : nil
        for raw in values {
            var stage = try initialStage(raw, context: context)
            var applied: [String] = []
            for modifier in modifiers {
                stage = try apply(modifier, to: stage, applied: applied, raw: raw, context: context)
                applied.append(modifier)
            }
            if fieldName.isEmpty, case .patterns(let patterns) = stage {
                // Keywords are a full-text search: each value is looked for anywhere in a value of the event.
                stage = .patterns(patterns.map { $0.surrounded() })
            }
            switch stage {
            case .patterns(let patterns):
                for pattern in patterns {
                    tests.append(.string(StringMatcher(pattern, caseSensitive: cased)))
                    if let plain = pattern.plainText, !pattern.hasWildcards { plainValues?.append(plain) } else { plainValues = nil }
                }
            case .regex(let source):
                tests.append(.regex(try RegexMatcher(pattern: source, ignoreCase: ignoreCase, multiline: multiline, dotAll: dotAll)))
            case .cidr(let text):
                guard let range = CIDRRange(text) else { throw RuleProblem(.invalidValue, "\(context): not a CIDR network") }
                tests.append(.cidr(range))
            case .compare(let op, let number): tests.append(.compare(op, number))
            case .exists(let wanted): tests.append(.exists(wanted))
            case .fieldReference(let path, let mode): tests.append(.fieldReference(path, mode, caseSensitive: cased))
            case .timePart(let part, let number): tests.append(.timePart(part, number))
            case .null: tests.append(.null); plainValues = nil
            }
        }
        return DetectionItem(
            field: fieldName.isEmpty ? nil : FieldPath(fieldName), tests: tests,
            requiresAll: modifiers.contains("all"), negated: modifiers.contains("neq"), plainValues: plainValues)
    }

    private func initialStage(_ raw: JSONValue, context: String) throws(RuleProblem) -> Stage {
        switch raw {
        case .null: return .null
        case .string(let s): return .patterns([SigmaPattern(sigma: s)])
        case .int, .double, .bool: return .patterns([SigmaPattern(literal: raw.scalarText!)])
        case .array, .object: throw RuleProblem(.invalidValue, "\(context): values must be scalars")
        }
    }

    private func apply(
        _ modifier: String, to stage: Stage, applied: [String], raw: JSONValue, context: String
    ) throws(RuleProblem) -> Stage {
        let where_ = "\(context), modifier '\(modifier)'"
        func patterns() throws(RuleProblem) -> [SigmaPattern] {
            guard case .patterns(let p) = stage else { throw RuleProblem(.invalidModifier, "\(where_): needs a string value") }
            return p
        }
        func firstOnly() throws(RuleProblem) {
            let meaningful = applied.filter { $0 != "cased" }
            if !meaningful.isEmpty { throw RuleProblem(.invalidModifier, "\(where_): must come first") }
        }
        func number() throws(RuleProblem) -> Double {
            guard let n = raw.doubleValue ?? raw.stringValue.flatMap(Double.init) else {
                throw RuleProblem(.invalidValue, "\(where_): needs a number")
            }
            return n
        }
        switch modifier {
        case "all", "neq", "cased", "i", "m", "s", "ignorecase", "multiline", "dotall":
            return stage
        case "contains", "startswith", "endswith":
            switch stage {
            case .patterns(let p):
                return .patterns(p.map { modifier == "contains" ? $0.surrounded() : modifier == "startswith" ? $0.suffixed() : $0.prefixed() })
            case .regex(let source):
                let grouped = "(?:\(source))"
                switch modifier {
                case "contains": return .regex(grouped)
                case "startswith": return .regex(source.hasPrefix("^") ? grouped : "^" + grouped)
                default: return .regex(source.hasSuffix("$") ? grouped : grouped + "$")
                }
            case .fieldReference(let path, let mode):
                let new: ValueTest.FieldReferenceMode
                switch (modifier, mode) {
                case ("contains", _), ("startswith", .endsWith), ("endswith", .startsWith): new = .contains
                case ("startswith", _): new = mode == .contains ? .contains : .startsWith
                default: new = mode == .contains ? .contains : .endsWith
                }
                return .fieldReference(path, new)
            case .null:
                throw RuleProblem(.invalidValue, "\(where_): cannot apply to null")
            default:
                throw RuleProblem(.invalidModifier, "\(where_): needs a string value")
            }
        case "wide", "utf16le", "utf16be", "utf16":
            let p = try patterns()
            let bigEndian = modifier == "utf16be"
            var out: [SigmaPattern] = []
            for pattern in p {
                var encoded: [SigmaPattern.Piece] = modifier == "utf16" ? [.literal("\u{FEFF}")] : []
                for piece in pattern.pieces {
                    guard case .literal(let s) = piece else { encoded.append(piece); continue }
                    var text = ""
                    for unit in s.utf16 {
                        let bytes = bigEndian ? [UInt8(unit >> 8), UInt8(unit & 0xFF)] : [UInt8(unit & 0xFF), UInt8(unit >> 8)]
                        guard bytes.allSatisfy({ $0 < 0x80 }) else {
                            throw RuleProblem(.invalidValue, "\(where_): only ASCII text can be encoded this way")
                        }
                        for b in bytes { text.unicodeScalars.append(Unicode.Scalar(b)) }
                    }
                    encoded.append(.literal(text))
                }
                out.append(SigmaPattern(pieces: encoded))
            }
            return .patterns(out)
        case "base64", "base64offset":
            var out: [SigmaPattern] = []
            for pattern in try patterns() {
                guard let plain = pattern.plainText else {
                    throw RuleProblem(.invalidValue, "\(where_): base64 of a value with wildcards is not allowed")
                }
                var data = Array(plain.utf8)
                if applied.contains("utf16"), data.starts(with: [0xEF, 0xBB, 0xBF]) { data = [0xFF, 0xFE] + data.dropFirst(3) }
                if modifier == "base64" {
                    out.append(SigmaPattern(literal: Base64.encode(data)))
                } else {
                    let starts = [0, 2, 3]
                    let ends = [0, -3, -2]
                    for i in 0..<3 {
                        let encoded = Array(Base64.encode([UInt8](repeating: 0x20, count: i) + data).utf8)
                        let cut = ends[(data.count + i) % 3]
                        let slice = encoded[starts[i]..<(encoded.count + cut)]
                        out.append(SigmaPattern(literal: String(decoding: slice, as: UTF8.self)))
                    }
                }
            }
            return .patterns(out)
        case "windash":
            var out: [SigmaPattern] = []
            for pattern in try patterns() { out.append(contentsOf: try Self.windash(pattern, context: where_)) }
            return .patterns(out)
        case "re":
            try firstOnly()
            guard let text = raw.scalarText, !raw.isNull else { throw RuleProblem(.invalidValue, "\(where_): needs a string") }
            return .regex(text)
        case "cidr":
            try firstOnly()
            guard let text = raw.stringValue else { throw RuleProblem(.invalidValue, "\(where_): needs a string") }
            return .cidr(text)
        case "lt", "lte", "gt", "gte":
            return .compare(ValueTest.ComparisonOperator(rawValue: modifier)!, try number())
        case "exists":
            try firstOnly()
            guard let wanted = raw.boolValue else { throw RuleProblem(.invalidValue, "\(where_): needs true or false") }
            return .exists(wanted)
        case "fieldref":
            guard let name = raw.stringValue, !SigmaPattern(sigma: name).hasWildcards else {
                throw RuleProblem(.invalidValue, "\(where_): needs a field name without wildcards")
            }
            return .fieldReference(FieldPath(name), .equals)
        case "minute", "hour", "day", "week", "month", "year":
            guard let n = raw.intValue ?? raw.stringValue.flatMap({ Int64($0) }) else {
                throw RuleProblem(.invalidValue, "\(where_): needs an integer")
            }
            return .timePart(ValueTest.TimePart(rawValue: modifier)!, Int(n))
        case "expand":
            var out: [SigmaPattern] = []
            for pattern in try patterns() { out.append(contentsOf: try expand(pattern, context: where_)) }
            return .patterns(out)
        default:
            throw RuleProblem(.invalidModifier, "\(where_): unknown modifier")
        }
    }

    /// `expand`: each `%name%` is replaced by each configured value (a cross product when several appear).
    private func expand(_ pattern: SigmaPattern, context: String) throws(RuleProblem) -> [SigmaPattern] {
        var results: [[SigmaPattern.Piece]] = [[]]
        for piece in pattern.pieces {
            guard case .literal(let s) = piece else {
                results = results.map { $0 + [piece] }
                continue
            }
            var segments: [[String]] = []
            var rest = Substring(s)
            while let open = rest.firstIndex(of: "%"),
                let close = rest[rest.index(after: open)...].firstIndex(of: "%")
            {
                segments.append([String(rest[..<open])])
                let name = String(rest[rest.index(after: open)..<close])
                guard let values = placeholders[name], !values.isEmpty else {
                    throw RuleProblem(.invalidValue, "\(context): no values configured for placeholder %\(name)%")
                }
                segments.append(values)
                rest = rest[rest.index(after: close)...]
            }
            segments.append([String(rest)])
            for options in segments {
                results = results.flatMap { prefix in options.map { prefix + [.literal($0)] } }
            }
        }
        if !pattern.pieces.contains(where: { if case .literal(let s) = $0 { s.contains("%") } else { false } }) {
            throw RuleProblem(.invalidValue, "\(context): no %placeholder% in the value")
        }
        return results.map { SigmaPattern(pieces: $0) }
    }

    /// `windash`: every `-` or `/` that starts a word after a non-word character is tried as
    /// `-`, `/`, en dash, em dash and horizontal bar (at most three such positions per value).
    static func windash(_ pattern: SigmaPattern, context: String) throws(RuleProblem) -> [SigmaPattern] {
        let dashes: [Character] = ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"]
        func isWord(_ c: Character?) -> Bool { c.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false }
        var variants: [[SigmaPattern.Piece]] = [[]]
        var expanded = 0
        for piece in pattern.pieces {
            guard case .literal(let s) = piece else {
                variants = variants.map { $0 + [piece] }
                continue
            }
            let chars = Array(s)
            var segments: [[String]] = []
            var current = ""
            for (i, c) in chars.enumerated() {
                let before = i > 0 ? chars[i - 1] : nil
                let after = i + 1 < chars.count ? chars[i + 1] : nil
                if (c == "-" || c == "/"), !isWord(before), isWord(after) {
                    segments.append([current])
                    segments.append(dashes.map { String($0) })
                    current = ""
                    expanded += 1
                } else {
                    current.append(c)
                }
            }
            segments.append([current])
            for options in segments { variants = variants.flatMap { prefix in options.map { prefix + [.literal($0)] } } }
        }
        if expanded > 3 { throw RuleProblem(.invalidValue, "\(context): expands at most three dashes in one value") }
        return variants.map { SigmaPattern(pieces: $0) }
    }
}

/// Standard base64 with padding.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ data: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((data.count + 2) / 3 * 4)
        var i = 0
        while i < data.count {
            let b0 = UInt32(data[i])
            let b1 = i + 1 < data.count ? UInt32(data[i + 1]) : 0
            let b2 = i + 2 < data.count ? UInt32(data[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(i + 1 < data.count ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < data.count ? alphabet[Int(n & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
