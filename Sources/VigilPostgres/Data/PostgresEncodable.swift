import Foundation

/// A statement parameter as it goes to the server.
public enum PostgresValue: Sendable, Hashable {
    case null
    /// Text format; `oid` 0 lets the server infer the type from the statement.
    case text(String, oid: UInt32 = 0)
    /// Binary format, with the type's oid (bytea: 17).
    case binary([UInt8], oid: UInt32)
}

/// A Swift value that can be a statement parameter.
public protocol PostgresEncodable: Sendable {
    var postgresValue: PostgresValue { get }
}

extension String: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(self) }
}

extension Substring: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(String(self)) }
}

extension Int: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(String(self), oid: PostgresType.int8) }
}

extension Int64: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(String(self), oid: PostgresType.int8) }
}

extension Int32: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(String(self), oid: PostgresType.int4) }
}

extension Int16: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(String(self), oid: PostgresType.int2) }
}

extension Bool: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(self ? "t" : "f", oid: PostgresType.bool) }
}

extension Double: PostgresEncodable {
    public var postgresValue: PostgresValue {
        let text: String
        if isNaN {
            text = "NaN"
        } else if isInfinite {
            text = self < 0 ? "-Infinity" : "Infinity"
        } else {
            text = "\(self)"
        }
        return .text(text, oid: PostgresType.float8)
    }
}

extension UUID: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(postgresText, oid: PostgresType.uuid) }
}

extension Date: PostgresEncodable {
    public var postgresValue: PostgresValue { .text(PostgresTimestamp.format(self), oid: PostgresType.timestamptz) }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresValue: PostgresValue {
        switch self {
        case .none: .null
        case .some(let value): value.postgresValue
        }
    }
}

/// Bytes for a `bytea` parameter, sent in binary format.
public struct PostgresBytes: PostgresEncodable, Hashable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var postgresValue: PostgresValue { .binary(bytes, oid: PostgresType.bytea) }
}

/// A JSON document's text, for a `json`/`jsonb` parameter.
public struct PostgresJSON: PostgresEncodable, Hashable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public var postgresValue: PostgresValue { .text(text, oid: PostgresType.jsonb) }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    /// A one-dimensional array literal (`{"a","b"}`), typed `Element.arrayOID`.
    ///
    /// Inlinable, so a caller that encodes a concrete array (`[String]`, `[UUID]`) gets a specialised loop.
    @inlinable
    public var postgresValue: PostgresValue {
        var text = "{"
        var first = true
        for element in self {
            if !first { text.append(",") }
            first = false
            text.append(element.arrayLiteralElement)
        }
        text.append("}")
        return .text(text, oid: Element.arrayOID)
    }
}

/// A one-dimensional `text[]` statement parameter in binary format: each element's UTF-8 bytes behind their length,
/// so neither side escapes or scans them. For kilobytes of text per element (a verdict's JSON documents), where the
/// literal form costs the client an escaping pass and the server a character-by-character parse (`array_in`).
///
/// Statement parameters only: COPY text has no binary fields. An element must not contain NUL, which `text` cannot
/// hold (the server refuses it; JSON text from `JSONValue` escapes it).
public struct PostgresTextArray: PostgresEncodable, Hashable {
    public var elements: [String?]

    public init(_ elements: [String?]) { self.elements = elements }
    public init(_ elements: [String]) { self.elements = elements.map { $0 } }

    /// The array's binary form (`array_recv`): dimensions, a has-nulls flag, the element type, one dimension's length
    /// and lower bound (none for an empty array), then each element as a big-endian length (-1: NULL) and its bytes.
    public var postgresValue: PostgresValue {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20 + elements.reduce(0) { $0 + 4 + ($1?.utf8.count ?? 0) })
        func append(_ value: Int32) {
            withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
        }
        append(elements.isEmpty ? 0 : 1)
        append(elements.contains(nil) ? 1 : 0)
        append(Int32(bitPattern: PostgresType.text))
        if !elements.isEmpty {
            append(Int32(elements.count))
            append(1)
        }
        for element in elements {
            guard let element else {
                append(-1)
                continue
            }
            append(Int32(element.utf8.count))
            bytes.append(contentsOf: element.utf8)
        }
        return .binary(bytes, oid: PostgresType.textArray)
    }
}

/// A type that can be an element of a one-dimensional array parameter.
public protocol PostgresArrayElement: Sendable {
    static var arrayOID: UInt32 { get }
    var arrayLiteralElement: String { get }
}

extension String: PostgresArrayElement {
    public static var arrayOID: UInt32 { PostgresType.textArray }
    public var arrayLiteralElement: String {
        // Byte-wise: `"` and `\` are ASCII, so escaping them in UTF-8 equals escaping the scalars.
        var out: [UInt8] = [0x22]
        out.reserveCapacity(utf8.count + 2)
        for byte in utf8 {
            if byte == 0x22 || byte == 0x5C { out.append(0x5C) }
            out.append(byte)
        }
        out.append(0x22)
        return String(decoding: out, as: UTF8.self)
    }
}

extension Int64: PostgresArrayElement {
    public static var arrayOID: UInt32 { PostgresType.int8Array }
    public var arrayLiteralElement: String { String(self) }
}

extension Int: PostgresArrayElement {
    public static var arrayOID: UInt32 { PostgresType.int8Array }
    public var arrayLiteralElement: String { String(self) }
}

extension Date: PostgresArrayElement {
    public static var arrayOID: UInt32 { PostgresType.timestamptzArray }
    public var arrayLiteralElement: String { "\"" + PostgresTimestamp.format(self) + "\"" }
}

extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement {
    public static var arrayOID: UInt32 { Wrapped.arrayOID }
    /// `NULL` for nil (a quoted `"NULL"` is the string).
    public var arrayLiteralElement: String { map(\.arrayLiteralElement) ?? "NULL" }
}

extension UUID: PostgresArrayElement {
    public static var arrayOID: UInt32 { PostgresType.uuidArray }
    public var arrayLiteralElement: String { postgresText }
}

/// The oids of the built-in types Vigil uses.
public enum PostgresType {
    public static let bool: UInt32 = 16
    public static let bytea: UInt32 = 17
    public static let name: UInt32 = 19
    public static let int8: UInt32 = 20
    public static let int2: UInt32 = 21
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let oid: UInt32 = 26
    public static let json: UInt32 = 114
    public static let cidr: UInt32 = 650
    public static let float4: UInt32 = 700
    public static let float8: UInt32 = 701
    public static let inet: UInt32 = 869
    public static let bpchar: UInt32 = 1042
    public static let varchar: UInt32 = 1043
    public static let date: UInt32 = 1082
    public static let timestamp: UInt32 = 1114
    public static let timestamptz: UInt32 = 1184
    public static let interval: UInt32 = 1186
    public static let numeric: UInt32 = 1700
    public static let uuid: UInt32 = 2950
    public static let jsonb: UInt32 = 3802
    public static let int2Array: UInt32 = 1005
    public static let int4Array: UInt32 = 1007
    public static let textArray: UInt32 = 1009
    public static let varcharArray: UInt32 = 1015
    public static let int8Array: UInt32 = 1016
    public static let uuidArray: UInt32 = 2951
    public static let timestamptzArray: UInt32 = 1185

    /// A short name for error messages.
    public static func name(of oid: UInt32) -> String {
        switch oid {
        case bool: "bool"
        case bytea: "bytea"
        case name: "name"
        case int8: "int8"
        case int2: "int2"
        case int4: "int4"
        case text: "text"
        case oid: "oid"
        case json: "json"
        case cidr: "cidr"
        case float4: "float4"
        case float8: "float8"
        case inet: "inet"
        case bpchar: "bpchar"
        case varchar: "varchar"
        case date: "date"
        case timestamp: "timestamp"
        case timestamptz: "timestamptz"
        case interval: "interval"
        case numeric: "numeric"
        case uuid: "uuid"
        case jsonb: "jsonb"
        case int2Array: "int2[]"
        case int4Array: "int4[]"
        case textArray: "text[]"
        case varcharArray: "varchar[]"
        case int8Array: "int8[]"
        case uuidArray: "uuid[]"
        case timestamptzArray: "timestamptz[]"
        default: "oid \(oid)"
        }
    }
}
