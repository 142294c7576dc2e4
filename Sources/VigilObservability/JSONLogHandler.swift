import Foundation
import Logging
import Synchronization
import VigilCore

/// A swift-log handler writing one JSON object per line:
/// `{"ts":"…Z","level":"info","logger":"vigil.worker","message":"…","metadata":{…}}`.
///
/// What it writes is what callers log: Vigil logs ids (alert, job, worker, webhook), counts, codes and error
/// descriptions, never alert payloads, prompts, model output or secrets (their types redact `description`). Each line is
/// written with one `write(2)` call, so lines from concurrent tasks never interleave.
public struct JSONLogHandler: LogHandler {
    /// Where lines go. `standardError` by default; tests collect them.
    public struct Sink: Sendable {
        let write: @Sendable (String) -> Void

        public init(_ write: @escaping @Sendable (String) -> Void) { self.write = write }

        /// The process's standard error, one line per record.
        public static let standardError = Sink { line in
            var bytes = Array(line.utf8)
            bytes.append(0x0A)
            FileHandle.standardError.write(Data(bytes))
        }
    }

    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    let label: String
    let sink: Sink

    public init(label: String, sink: Sink = .standardError, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.sink = sink
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        sink.write(Self.line(date: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged))
    }

    /// One record as a line of compact JSON; metadata keys sorted.
    public static func line(date: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var object: JSONObject = [
            "ts": .string(RFC3339.format(date)), "level": .string(level.rawValue), "logger": .string(label), "message": .string(message),
        ]
        if !metadata.isEmpty {
            var fields = JSONObject()
            for key in metadata.keys.sorted() { fields[key] = json(metadata[key]!) }
            object["metadata"] = .object(fields)
        }
        return JSONValue.object(object).jsonText
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let dictionary):
            .object(JSONObject(dictionary.keys.sorted().map { JSONObject.Member(key: $0, value: json(dictionary[$0]!)) }))
        }
    }
}

/// How a process writes its logs: `text` (swift-log's stream handler) or `json` (``JSONLogHandler``).
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json

    /// Bootstraps swift-log for the process with this format at `level`. Call once, at start-up.
    public func bootstrap(level: Logger.Level) {
        switch self {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
