import VigilCore
import VigilRules

/// Turns CloudTrail files into `cloudtrail_event` rows without building a JSON tree: each record is found in the file
/// (the formats ``CloudTrailReader`` reads: `{"Records":[…]}`, a JSON array, NDJSON, one object, Panther's `log`
/// wrapper), checked with ``JSONSkimmer`` as strictly as ``JSONParser`` would, its key fields read on the way, and its
/// own bytes stored as the `record` jsonb (PostgreSQL normalises them). A record that is not JSON, not valid UTF-8,
/// or lacks a key field is rejected with its position; the others load.
enum CloudTrailRecordParser {
    static func rows(path: String) throws -> StagedRows {
        rows(bytes: try SourceFile.bytes(path), file: path)
    }

    static func rows(bytes: [UInt8], file: String) -> StagedRows {
        let elements = elements(bytes)
        return bytes.withUnsafeBufferPointer { buffer in
            var staged = StagedRows()
            var record = 0
            for element in elements {
                record += 1
                switch row(UnsafeBufferPointer(rebasing: buffer[element.range])) {
                case .success(let row): staged.rows.append(row)
                case .failure(let reason):
                    let position = "line \(element.line) (record \(record))"
                    staged.rejected.append(LoadRejection(file: file, position: position, reason: reason.message))
                }
            }
            return staged
        }
    }

    /// The records of a file as byte ranges with the line each starts on: the elements of its top-level array or of
    /// its `Records` array (string-aware splitting, so one corrupt element loses only itself), the whole text when
    /// it is one object, else its non-blank lines.
    static func elements(_ bytes: [UInt8]) -> [(range: Range<Int>, line: Int)] {
        let (first, records, single) = bytes.withUnsafeBufferPointer(topLevel)
        if first == UInt8(ascii: "[") { return CloudTrailReader.splitArray(bytes, from: bytes.firstIndex { !isSpace($0) }!) }
        if let records { return CloudTrailReader.splitArray(bytes, from: records) }
        if let single { return [(single, 1 + bytes[..<single.lowerBound].count { $0 == 0x0A })] }
        var lines: [(range: Range<Int>, line: Int)] = []
        var number = 0
        var lineStart = 0
        while lineStart <= bytes.count {
            number += 1
            let end = bytes[lineStart...].firstIndex(of: 0x0A) ?? bytes.count
            if bytes[lineStart..<end].contains(where: { !isSpace($0) }) { lines.append((lineStart..<end, number)) }
            lineStart = end + 1
        }
        return lines
    }

    /// The first non-blank byte; when it opens an object, where its `Records` array starts, or else the object's
    /// range when it is the file's only value.
    private static func topLevel(_ bytes: UnsafeBufferPointer<UInt8>) -> (first: UInt8?, records: Int?, single: Range<Int>?) {
        var skimmer = JSONSkimmer(bytes)
        let first = skimmer.peek()
        guard first == UInt8(ascii: "{") else { return (first, nil, nil) }
        let start = skimmer.index
        var records: Int?
        do {
            try skimmer.object(depth: 1) { skimmer, key throws(JSONSkimmer.Failure) in
                if records == nil, skimmer.equals(key, "Records"), skimmer.peek() == UInt8(ascii: "[") {
                    records = skimmer.index
                    throw JSONSkimmer.Failure(code: .trailingData)  // found: stop reading
                }
                try skimmer.skipValue(depth: 1)
            }
            if skimmer.peek() == nil { return (first, nil, start..<bytes.count) }
        } catch {}
        return (first, records, nil)
    }

    /// One record's bytes as a row in ``LoadTarget/cloudTrail`` column order, or why it cannot be one.
    static func row(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<[String?], RowRejection> {
        guard let json = String(validating: bytes, as: UTF8.self) else { return .failure(RowRejection("\(JSONParseError.Code.invalidUTF8)")) }
        var fields: KeyFields
        do {
            fields = try KeyFields(bytes, from: 0, whole: true)
            if let inner = fields.wrapped {
                let unwrapped = try KeyFields(bytes, from: inner.lowerBound, whole: false)
                if unwrapped.namesEvent {
                    fields = unwrapped
                    fields.wrapped = inner
                }
            }
        } catch {
            return .failure(RowRejection("\(error.code)"))
        }
        guard fields.isObject else { return .failure(RowRejection("not a JSON object")) }
        guard let id = fields.eventID, !id.isEmpty else { return .failure(RowRejection("eventID: missing")) }
        guard let rawTime = fields.eventTime else { return .failure(RowRejection("eventTime: missing")) }
        guard let time = RecordField.timestamp(rawTime) else { return .failure(RowRejection("eventTime: not an RFC 3339 time")) }
        guard let source = fields.eventSource else { return .failure(RowRejection("eventSource: missing")) }
        guard let name = fields.eventName else { return .failure(RowRejection("eventName: missing")) }
        if fields.sawNUL { return .failure(RowRejection("contains a NUL character")) }
        var seen = Set<String>()
        let arns = (fields.resourceARNs + fields.parameterARNs.flatMap(\.arns)).filter { seen.insert($0).inserted }
        let record = fields.wrapped.map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) } ?? json
        return .success([
            id, time, source, name,
            fields.principalARN,
            fields.principalType,
            fields.recipientAccountID ?? fields.identityAccountID,
            fields.region,
            fields.sourceAddress,
            RecordField.canonicalIP(fields.sourceAddress),
            fields.userAgent,
            fields.errorCode,
            PostgresArrayLiteral.text(arns),
            record,
        ])
    }

    /// The fields of one event object that become columns (a repeated key: the last one wins, as in
    /// ``JSONParser``'s `.lastWins`).
    struct KeyFields {
        var isObject = false
        var eventID: String?
        var eventTime: String?
        var eventSource: String?
        var eventName: String?
        /// `eventSource` or `eventName` is present (any value): what makes a `log` member the event.
        var namesEvent = false
        var principalARN: String?
        var principalType: String?
        var identityAccountID: String?
        var recipientAccountID: String?
        var region: String?
        var sourceAddress: String?
        var userAgent: String?
        var errorCode: String?
        /// `resources[].ARN` (or `arn`).
        var resourceARNs: [String] = []
        /// ARN-valued request parameters by parameter, in first-seen order.
        var parameterARNs: [(key: String, arns: [String])] = []
        /// The byte range of an object-valued `log` member (Panther's wrapper).
        var wrapped: Range<Int>?
        var sawNUL = false

        /// Reads the value at `start`; `whole`: it must be the only value in `bytes`.
        init(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, whole: Bool) throws(JSONSkimmer.Failure) {
            var skimmer = JSONSkimmer(bytes, from: start)
            if skimmer.peek() == UInt8(ascii: "{") {
                isObject = true
                try skimmer.object(depth: 1) { skimmer, key throws(JSONSkimmer.Failure) in try read(&skimmer, key) }
            } else {
                try skimmer.skipValue(depth: 0)
            }
            if whole, skimmer.peek() != nil { throw JSONSkimmer.Failure(code: .trailingData) }
            sawNUL = skimmer.sawNUL
        }

        private mutating func read(_ skimmer: inout JSONSkimmer, _ key: JSONSkimmer.StringToken) throws(JSONSkimmer.Failure) {
            if skimmer.equals(key, "eventID") {
                eventID = try skimmer.string(depth: 1)
            } else if skimmer.equals(key, "eventTime") {
                eventTime = try skimmer.string(depth: 1)
            } else if skimmer.equals(key, "eventSource") {
                namesEvent = true
                eventSource = try skimmer.string(depth: 1)
            } else if skimmer.equals(key, "eventName") {
                namesEvent = true
                eventName = try skimmer.string(depth: 1)
            } else if skimmer.equals(key, "recipientAccountId") {
                recipientAccountID = try skimmer.string(depth: 1)
            } else if skimmer.equals(key, "awsRegion") {
                region = try skimmer.string(depth: 1)
            } else if skimmer.equals(key, "sourceIPAddress") {
                sourceAddress = try skimmer.string(depth: 1)
            } else if skimmer.equals(key, "userAgent") {
                userAgent = try skimmer.string(depth: 1)
            } else if skimmer.equals(key, "errorCode") {
                errorCode = try skimmer.string(depth: 1)
            } else if skimmer.equals(key, "userIdentity") {
                try readIdentity(&skimmer)
            } else if skimmer.equals(key, "resources") {
                try readResources(&skimmer)
            } else if skimmer.equals(key, "requestParameters") {
                try readParameters(&skimmer)
            } else if skimmer.equals(key, "log") {
                let start = skimmer.index
                try skimmer.skipValue(depth: 1)
                wrapped = skimmer.bytes[start] == UInt8(ascii: "{") ? start..<skimmer.index : nil
            } else {
                try skimmer.skipValue(depth: 1)
            }
        }

        private mutating func readIdentity(_ skimmer: inout JSONSkimmer) throws(JSONSkimmer.Failure) {
            (principalARN, principalType, identityAccountID) = (nil, nil, nil)
            guard skimmer.peek() == UInt8(ascii: "{") else { return try skimmer.skipValue(depth: 1) }
            try skimmer.object(depth: 2) { skimmer, key throws(JSONSkimmer.Failure) in
                if skimmer.equals(key, "arn") {
                    principalARN = try skimmer.string(depth: 2)
                } else if skimmer.equals(key, "type") {
                    principalType = try skimmer.string(depth: 2)
                } else if skimmer.equals(key, "accountId") {
                    identityAccountID = try skimmer.string(depth: 2)
                } else {
                    try skimmer.skipValue(depth: 2)
                }
            }
        }

        private mutating func readResources(_ skimmer: inout JSONSkimmer) throws(JSONSkimmer.Failure) {
            resourceARNs = []
            guard skimmer.peek() == UInt8(ascii: "[") else { return try skimmer.skipValue(depth: 1) }
            var arns: [String] = []
            try skimmer.array(depth: 2) { skimmer throws(JSONSkimmer.Failure) in
                guard skimmer.peek() == UInt8(ascii: "{") else { return try skimmer.skipValue(depth: 2) }
                var upper: String?
                var lower: String?
                try skimmer.object(depth: 3) { skimmer, key throws(JSONSkimmer.Failure) in
                    if skimmer.equals(key, "ARN") {
                        upper = try skimmer.string(depth: 3)
                    } else if skimmer.equals(key, "arn") {
                        lower = try skimmer.string(depth: 3)
                    } else {
                        try skimmer.skipValue(depth: 3)
                    }
                }
                if let arn = upper ?? lower { arns.append(arn) }
            }
            resourceARNs = arns
        }

        /// String members starting `arn:` and such strings in array members (one level deep).
        private mutating func readParameters(_ skimmer: inout JSONSkimmer) throws(JSONSkimmer.Failure) {
            parameterARNs = []
            guard skimmer.peek() == UInt8(ascii: "{") else { return try skimmer.skipValue(depth: 1) }
            var parameters: [(key: String, arns: [String])] = []
            try skimmer.object(depth: 2) { skimmer, key throws(JSONSkimmer.Failure) in
                var arns: [String] = []
                switch skimmer.peek() {
                case UInt8(ascii: "\""):
                    if let text = try skimmer.string(depth: 2), text.hasPrefix("arn:") { arns.append(text) }
                case UInt8(ascii: "["):
                    try skimmer.array(depth: 3) { skimmer throws(JSONSkimmer.Failure) in
                        if let text = try skimmer.string(depth: 3), text.hasPrefix("arn:") { arns.append(text) }
                    }
                default:
                    try skimmer.skipValue(depth: 2)
                }
                let name = skimmer.text(key)
                if let index = parameters.firstIndex(where: { $0.key == name }) {
                    parameters[index].arns = arns
                } else {
                    parameters.append((name, arns))
                }
            }
            parameterARNs = parameters
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
}
