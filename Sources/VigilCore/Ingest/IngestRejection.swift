/// Why one item of an ingest batch was not accepted: the field and a reason, never the field's value.
///
/// `field` is an alert field name (`source`, `occurred_at`, …), an unknown field's name (shown escaped and cut to
/// 64 characters), or `$` for the item as a whole (malformed JSON, not an object). `reason` is a fixed phrase
/// plus limits and positions: safe to log and to return in an HTTP body.
public struct IngestRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is; callers match on codes, and codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A required field is absent or null.
        public static let missing = Code("missing")
        /// The field has the wrong JSON type.
        public static let wrongType = Code("wrong_type")
        /// The field's text or number is not of the accepted form.
        public static let invalid = Code("invalid")
        /// The field's text is longer than allowed.
        public static let tooLong = Code("too_long")
        /// The value is outside the accepted range (a timestamp too far in the past or future, a score above 10).
        public static let outOfRange = Code("out_of_range")
        /// The item or its payload is larger than allowed.
        public static let tooLarge = Code("too_large")
        /// The payload nests deeper than allowed.
        public static let tooDeep = Code("too_deep")
        /// The item has a top-level field Vigil does not know.
        public static let unknownField = Code("unknown_field")
        /// The item's JSON text is malformed.
        public static let malformedJSON = Code("malformed_json")
        /// The item is valid JSON but not an object.
        public static let notAnObject = Code("not_an_object")
    }

    public var code: Code
    /// The field at fault; `$` for the whole item.
    public var field: String
    /// What is wrong, without the value.
    public var reason: String
    /// The 1-based line of the body where the item starts, when known.
    public var line: Int?

    public init(code: Code, field: String, reason: String, line: Int? = nil) {
        self.code = code
        self.field = field
        self.reason = reason
        self.line = line
    }

    /// The whole item, as a field name.
    public static let itemField = "$"

    public var description: String {
        var text = "\(field): \(reason)"
        if let line { text += " (item at line \(line))" }
        return text
    }

    /// A field name fit for logs: printable ASCII kept, anything else escaped as `\u{…}`, cut to 64 characters.
    public static func displayName(ofField key: String) -> String {
        var out = ""
        for (count, scalar) in key.unicodeScalars.enumerated() {
            if count == 64 {
                out += "…"
                break
            }
            if scalar.value >= 0x20, scalar.value < 0x7F {
                out.unicodeScalars.append(scalar)
            } else {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        return out
    }
}
