import Foundation
import VigilCore

/// Reads CloudTrail events from a file: a JSON array, the S3 delivery format `{"Records":[…]}`, one JSON object
/// per line (NDJSON; an object with a `log` member is taken to wrap the event, as in Panther's test files), or
/// any of these gzip-compressed.
public enum CloudTrailReader {
    /// A file that could not be read or parsed. `description` names the file and the place, never its content.
    public struct ReadError: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var message: String
        public var description: String { "\(file): \(message)" }
    }

    /// Where a record sits in its file: its 1-based record number and the line it starts on.
    public struct Position: Sendable, Hashable, CustomStringConvertible {
        public var record: Int
        public var line: Int
        public var description: String { "line \(line) (record \(record))" }
    }

    /// A file read record by record: the records that parsed and, for those that did not, where and why.
    public struct Scan: Sendable {
        public var records: [(position: Position, event: JSONValue)] = []
        public var failures: [(position: Position, reason: String)] = []
    }

    /// The events of `path`, in file order.
    ///
    /// - Throws: ``ReadError`` when the file cannot be read or any record does not parse.
    public static func events(path: String) throws(ReadError) -> [JSONValue] {
        try events(bytes: try contents(path: path), name: path)
    }

    /// The events in `bytes` (already decompressed); `name` is used in errors.
    public static func events(bytes: [UInt8], name: String) throws(ReadError) -> [JSONValue] {
        let scan = scan(bytes: bytes)
        if let failure = scan.failures.first { throw ReadError(file: name, message: "\(failure.position): \(failure.reason)") }
        return scan.records.map(\.event)
    }

    /// The file's bytes, decompressed when gzip.
    public static func contents(path: String) throws(ReadError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReadError(file: path, message: "cannot be read") }
        let bytes = [UInt8](data)
        guard Gzip.isCompressed(bytes) else { return bytes }
        do { return try Gzip.decompress(bytes) } catch { throw ReadError(file: path, message: error.description) }
    }

    /// Reads every record it can: a record that does not parse is listed in ``Scan/failures`` with its position
    /// and the others are still returned (in an array or `Records` array, elements are split before parsing, so one
    /// corrupt element loses only itself; a document whose array cannot be delimited fails as one record).
    public static func scan(bytes: [UInt8]) -> Scan {
        let parser = JSONParser(duplicateKeys: .lastWins)
        var scan = Scan()
        let first = bytes.firstIndex { !isSpace($0) }
        if let first, bytes[first] == UInt8(ascii: "[") || bytes[first] == UInt8(ascii: "{") {
            if let whole = try? parser.parse(bytes) {
                switch whole {
                case .array(let items):
                    scan.records = items.enumerated().map { (Position(record: $0.offset + 1, line: 0), $0.element) }
                    return scan
                case .object(let object):
                    if case .array(let records)? = object["Records"] {
                        scan.records = records.enumerated().map { (Position(record: $0.offset + 1, line: 0), $0.element) }
                        return scan
                    }
                    scan.records = [(Position(record: 1, line: 1), unwrap(whole))]
                    return scan
                default:
                    scan.failures = [(Position(record: 1, line: 1), "top-level value is not an array or an object")]
                    return scan
                }
            }
            // Not valid as a whole: split the array into elements and parse each on its own.
            let arrayStart = bytes[first] == UInt8(ascii: "[") ? first : recordsArrayStart(bytes)
            if let arrayStart {
                for (index, element) in splitArray(bytes, from: arrayStart).enumerated() {
                    let position = Position(record: index + 1, line: element.line)
                    do {
                        scan.records.append((position, unwrap(try parser.parse(bytes[element.range]))))
                    } catch {
                        scan.failures.append((position, "\(error.code)"))
                    }
                }
                return scan
            }
        }
        var lineNumber = 0
        var recordNumber = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            guard line.contains(where: { !isSpace($0) }) else { continue }
            recordNumber += 1
            let position = Position(record: recordNumber, line: lineNumber)
            do {
                scan.records.append((position, unwrap(try parser.parse(line))))
            } catch {
                scan.failures.append((position, "\(error.code)"))
            }
        }
        return scan
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    /// The index of the `[` after `"Records":`, if the text has one.
    private static func recordsArrayStart(_ bytes: [UInt8]) -> Int? {
        let key = Array("\"Records\"".utf8)
        guard bytes.count > key.count else { return nil }
        var i = 0
        while i + key.count <= bytes.count {
            if bytes[i] == key[0], Array(bytes[i..<i + key.count]) == key {
                var j = i + key.count
                while j < bytes.count, isSpace(bytes[j]) { j += 1 }
                guard j < bytes.count, bytes[j] == UInt8(ascii: ":") else { return nil }
                j += 1
                while j < bytes.count, isSpace(bytes[j]) { j += 1 }
                return j < bytes.count && bytes[j] == UInt8(ascii: "[") ? j : nil
            }
            i += 1
        }
        return nil
    }

    /// The elements of the array starting at `start`, as byte ranges with the line each starts on; string-aware,
    /// so brackets and commas inside strings do not count. A truncated last element is returned as it stands.
    /// (``JSONBracketTracker`` does the string-aware scan, as in the enrichment loader's CloudTrail stream.)
    public static func splitArray(_ bytes: [UInt8], from start: Int) -> [(range: Range<Int>, line: Int)] {
        var elements: [(range: Range<Int>, line: Int)] = []
        var line = 1 + bytes[..<start].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        var brackets = JSONBracketTracker()
        var elementStart: Int?
        var elementLine = line
        var i = start + 1
        func close(_ end: Int) {
            if let s = elementStart, bytes[s..<end].contains(where: { !isSpace($0) }) { elements.append((s..<end, elementLine)) }
            elementStart = nil
        }
        while i < bytes.count {
            let byte = bytes[i]
            if byte == 0x0A { line += 1 }
            switch brackets.feed(byte) {
            case .close where brackets.depth < 0:
                close(i)
                return elements
            case .comma where brackets.depth == 0:
                close(i)
                i += 1
                continue
            default: break
            }
            if elementStart == nil, !isSpace(byte) {
                elementStart = i
                elementLine = line
            }
            i += 1
        }
        close(bytes.count)
        return elements
    }

    /// Panther test events carry the record under `log`.
    private static func unwrap(_ value: JSONValue) -> JSONValue {
        if case .object(let object)? = value["log"], object["eventName"] != nil || object["eventSource"] != nil { return .object(object) }
        return value
    }
}
