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

    /// The events of `path`, in file order.
    public static func events(path: String) throws(ReadError) -> [JSONValue] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReadError(file: path, message: "cannot be read") }
        var bytes = [UInt8](data)
        if Gzip.isCompressed(bytes) {
            do { bytes = try Gzip.decompress(bytes) } catch { throw ReadError(file: path, message: error.description) }
        }
        return try events(bytes: bytes, name: path)
    }

    /// The events in `bytes` (already decompressed); `name` is used in errors.
    public static func events(bytes: [UInt8], name: String) throws(ReadError) -> [JSONValue] {
        let parser = JSONParser(duplicateKeys: .lastWins)
        let first = bytes.first { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }
        if first == UInt8(ascii: "[") || first == UInt8(ascii: "{") {
            if let whole = try? parser.parse(bytes) {
                switch whole {
                case .array(let items): return items
                case .object(let object):
                    if case .array(let records)? = object["Records"] { return records }
                    return [unwrap(whole)]
                default: throw ReadError(file: name, message: "top-level value is not an array or an object")
                }
            }
        }
        var events: [JSONValue] = []
        var lineNumber = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            guard line.contains(where: { ![0x20, 0x0D, 0x09].contains($0) }) else { continue }
            do {
                events.append(unwrap(try parser.parse(line)))
            } catch {
                throw ReadError(file: name, message: "line \(lineNumber): \(error.code)")
            }
        }
        return events
    }

    /// Panther test events carry the record under `log`.
    private static func unwrap(_ value: JSONValue) -> JSONValue {
        if case .object(let object)? = value["log"], object["eventName"] != nil || object["eventSource"] != nil { return .object(object) }
        return value
    }
}
