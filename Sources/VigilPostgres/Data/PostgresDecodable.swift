import Foundation

/// A Swift type a result column can be decoded into.
public protocol PostgresDecodable {
    /// Decodes `cell`, throwing ``PostgresError`` `.decoding` naming the column when it does not fit.
    static func decode(from cell: PostgresCell) throws(PostgresError) -> Self
}

private let integerTypes: Set<UInt32> = [PostgresType.int2, PostgresType.int4, PostgresType.int8, PostgresType.oid]
private let textTypes: Set<UInt32> = [
    PostgresType.text, PostgresType.varchar, PostgresType.bpchar, PostgresType.name, PostgresType.json, PostgresType.jsonb,
    PostgresType.inet, PostgresType.cidr, PostgresType.uuid, PostgresType.numeric, PostgresType.interval, PostgresType.date,
]

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Wrapped? {
        guard cell.bytes != nil else { return nil }
        return try Wrapped.decode(from: cell)
    }
}

extension String: PostgresDecodable {
    /// Text-like columns (text, varchar, json, jsonb, inet, cidr, uuid, numeric, interval, date).
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> String {
        try cell.requireText(String.self, types: textTypes)
    }
}

extension Int64: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int64 {
        let text = try cell.requireText(Int64.self, types: integerTypes)
        guard let value = Int64(text) else { throw cell.mismatch(Int64.self) }
        return value
    }
}

extension Int: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int {
        Int(try Int64.decode(from: cell))
    }
}

extension Int32: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int32 {
        let wide = try Int64.decode(from: cell)
        guard let value = Int32(exactly: wide) else { throw cell.mismatch(Int32.self) }
        return value
    }
}

extension Int16: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int16 {
        let wide = try Int64.decode(from: cell)
        guard let value = Int16(exactly: wide) else { throw cell.mismatch(Int16.self) }
        return value
    }
}

extension Double: PostgresDecodable {
    /// float4, float8, numeric and the integer types.
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Double {
        let text = try cell.requireText(
            Double.self,
            types: integerTypes.union([PostgresType.float4, PostgresType.float8, PostgresType.numeric])
        )
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else { throw cell.mismatch(Double.self) }
            return value
        }
    }
}

extension Bool: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Bool {
        switch try cell.requireText(Bool.self, types: [PostgresType.bool]) {
        case "t": return true
        case "f": return false
        default: throw cell.mismatch(Bool.self)
        }
    }
}

extension UUID: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> UUID {
        guard cell.type == PostgresType.uuid else { throw cell.mismatch(UUID.self) }
        guard let bytes = cell.bytes else { throw cell.unexpectedNull(UUID.self) }
        guard let value = UUID(postgresText: bytes) else { throw cell.mismatch(UUID.self) }
        return value
    }
}

extension Date: PostgresDecodable {
    /// `timestamptz` (and `timestamp`, read as UTC).
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Date {
        let text = try cell.requireText(Date.self, types: [PostgresType.timestamptz, PostgresType.timestamp])
        guard let value = PostgresTimestamp.parse(text) else { throw cell.mismatch(Date.self) }
        return value
    }
}

extension PostgresBytes: PostgresDecodable {
    /// `bytea` in hex output format (`\x…`).
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> PostgresBytes {
        guard cell.type == PostgresType.bytea else { throw cell.mismatch(PostgresBytes.self) }
        guard let raw = cell.bytes else { throw cell.unexpectedNull(PostgresBytes.self) }
        guard raw.count >= 2, raw[0] == UInt8(ascii: "\\"), raw[1] == UInt8(ascii: "x"), raw.count % 2 == 0 else {
            throw cell.mismatch(PostgresBytes.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity((raw.count - 2) / 2)
        var i = 2
        while i < raw.count {
            guard let hi = hexValue(raw[i]), let lo = hexValue(raw[i + 1]) else { throw cell.mismatch(PostgresBytes.self) }
            out.append(hi << 4 | lo)
            i += 2
        }
        return PostgresBytes(out)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}

extension PostgresJSON: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> PostgresJSON {
        PostgresJSON(try cell.requireText(PostgresJSON.self, types: [PostgresType.json, PostgresType.jsonb]))
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement & PostgresDecodable {
    /// One-dimensional arrays (`text[]`, `int8[]`, …). NULL elements are an error.
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> [Element] {
        let arrayTypes: Set<UInt32> = [
            PostgresType.textArray, PostgresType.varcharArray, PostgresType.int8Array, PostgresType.int4Array,
            PostgresType.int2Array, PostgresType.uuidArray,
        ]
        let text = try cell.requireText([Element].self, types: arrayTypes)
        guard let items = PostgresArrayText.parse(text) else { throw cell.mismatch([Element].self) }
        let elementType: UInt32
        switch cell.type {
        case PostgresType.textArray, PostgresType.varcharArray: elementType = PostgresType.text
        case PostgresType.uuidArray: elementType = PostgresType.uuid
        default: elementType = PostgresType.int8
        }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard var itemText = item else { throw cell.unexpectedNull(Element.self) }
            let element = itemText.withUTF8 { buffer in
                Result { () throws(PostgresError) -> Element in
                    try Element.decode(from: PostgresCell(bytes: buffer, type: elementType, column: cell.column))
                }
            }
            out.append(try element.get())
        }
        return out
    }
}

/// The text form of a one-dimensional array: `{a,"b c",NULL}`.
enum PostgresArrayText {
    /// The elements, nil for NULL; nil for text that is not a one-dimensional array.
    static func parse(_ text: String) -> [String?]? {
        var scalars = Array(text.unicodeScalars)[...]
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        scalars = scalars.dropFirst().dropLast()
        if scalars.isEmpty { return [] }
        var items: [String?] = []
        var i = scalars.startIndex
        while i <= scalars.endIndex {
            var item = String.UnicodeScalarView()
            var quoted = false
            if i < scalars.endIndex, scalars[i] == "\"" {
                quoted = true
                i += 1
                while i < scalars.endIndex, scalars[i] != "\"" {
                    if scalars[i] == "\\" { i += 1 }
                    guard i < scalars.endIndex else { return nil }
                    item.append(scalars[i])
                    i += 1
                }
                guard i < scalars.endIndex else { return nil }
                i += 1
            } else {
                while i < scalars.endIndex, scalars[i] != "," {
                    if scalars[i] == "{" { return nil }
                    item.append(scalars[i])
                    i += 1
                }
            }
            let value = String(item)
            items.append(!quoted && value == "NULL" ? nil : value)
            guard i < scalars.endIndex else { break }
            guard scalars[i] == "," else { return nil }
            i += 1
            if i == scalars.endIndex { return nil }
        }
        return items
    }
}
