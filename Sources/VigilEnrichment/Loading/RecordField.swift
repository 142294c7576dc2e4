import Foundation
import VigilCore

/// Small readers shared by the record parsers.
enum RecordField {
    /// `object[name]`, also trying the name with its first letter in the other case (GuardDuty's API uses
    /// `AccountId`, its EventBridge events `accountId`).
    static func value(_ object: JSONValue?, _ name: String) -> JSONValue? {
        guard let object, case .object(let members) = object else { return nil }
        if let value = members[name], !value.isNull { return value }
        guard let first = name.first else { return nil }
        let flipped = (first.isUppercase ? first.lowercased() : first.uppercased()) + name.dropFirst()
        if let value = members[flipped], !value.isNull { return value }
        return nil
    }

    /// The value at a dotted path, each step read with ``value(_:_:)``.
    static func value(_ object: JSONValue?, path: String) -> JSONValue? {
        var current = object
        for step in path.split(separator: ".") { current = value(current, String(step)) }
        return current
    }

    static func string(_ object: JSONValue?, _ path: String) -> String? {
        guard let value = value(object, path: path) else { return nil }
        switch value {
        case .string(let text): return text.isEmpty ? nil : text
        case .int(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return String(flag)
        default: return nil
        }
    }

    /// An address in canonical text; IPv4 parts with leading zeros read as decimal (anonymised logs write them).
    static func canonicalIP(_ text: String?) -> String? {
        guard let text, let address = IPAddress(text, leadingZeros: .decimal) else { return nil }
        return address.description
    }

    /// A timestamp PostgreSQL reads as ``RFC3339`` does, or nil when `text` is not one: the text itself when it is in
    /// the plain form (`2024-08-01T13:33:28Z`, fraction and offset allowed), else re-formatted.
    static func timestamp(_ text: String?) -> String? {
        guard let text, let date = RFC3339.parse(text) else { return nil }
        if !text.contains(","), text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
        return RFC3339.format(date)
    }

    /// True when text would not survive PostgreSQL's text and jsonb types (they refuse NUL).
    static func hasNUL(_ json: String) -> Bool { json.contains("\\u0000") }

    /// True when a line of a text format holds a raw NUL byte, which PostgreSQL's text type refuses (a row holding
    /// one would fail the whole COPY batch, not just itself).
    static func hasRawNUL(_ line: some StringProtocol) -> Bool { line.utf8.contains(0) }

    /// The rejection of a record that holds a NUL character.
    static let nulRejection = RowRejection("contains a NUL character")
}
