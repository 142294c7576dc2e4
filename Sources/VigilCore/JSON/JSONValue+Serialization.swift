extension JSONValue {
    /// Compact JSON text: no spaces, members in their order, non-ASCII written as is.
    public var jsonText: String {
        var out = ""
        write(to: &out, style: .compact)
        return out
    }

    /// How ``write(to:style:)`` lays out the text.
    public enum TextStyle: Sendable {
        /// `{"a":1,"b":[2,3]}`
        case compact
        /// `{"a": 1, "b": [2, 3]}`, the separators of Python's `json.dumps`.
        case spaced
    }

    /// Appends the JSON text of this value to `out`.
    public func write(to out: inout String, style: TextStyle) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isFinite, d.rounded() == d, abs(d) < 1e15 {
                out += String(Int64(d))
                out += ".0"
            } else if d.isFinite {
                out += "\(d)"
            } else {
                out += "null"
            }
        case .string(let s): JSONValue.writeQuoted(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += style == .compact ? "," : ", " }
                item.write(to: &out, style: style)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (i, member) in object.members.enumerated() {
                if i > 0 { out += style == .compact ? "," : ", " }
                JSONValue.writeQuoted(member.key, to: &out)
                out += style == .compact ? ":" : ": "
                member.value.write(to: &out, style: style)
            }
            out += "}"
        }
    }

    /// Appends `s` as a JSON string literal.
    public static func writeQuoted(_ s: String, to out: inout String) {
        // Fast path: most strings need no escape and are appended whole.
        let needsEscape: (UInt8) -> Bool = { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
        if !(s.utf8.withContiguousStorageIfAvailable { $0.contains(where: needsEscape) } ?? s.utf8.contains(where: needsEscape)) {
            out += "\""
            out += s
            out += "\""
            return
        }
        out += "\""
        // Runs without an escape are appended whole: every byte that needs one is ASCII, so a run never splits a
        // scalar (UTF-8 continuation bytes are 0x80 and above).
        let utf8 = s.utf8
        var run = utf8.startIndex
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if needsEscape(byte) {
                // Bytes, not a String slice: string ranges round to grapheme boundaries, and a quote can begin one.
                out += String(decoding: utf8[run..<index], as: UTF8.self)
                switch byte {
                case 0x22: out += "\\\""
                case 0x5C: out += "\\\\"
                case 0x0A: out += "\\n"
                case 0x0D: out += "\\r"
                case 0x09: out += "\\t"
                default:
                    let hex = String(byte, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
                run = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        out += String(decoding: utf8[run..<utf8.endIndex], as: UTF8.self)
        out += "\""
    }
}
