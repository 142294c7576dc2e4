import VigilCore
import VigilRules

/// Turns CloudTrail files into `cloudtrail_event` rows without building a JSON tree: each record is found in the file
/// (the formats ``CloudTrailReader`` reads: `{"Records":[…]}`, a JSON array, NDJSON, one object, Panther's `log`
/// wrapper), checked with ``JSONSkimmer`` as strictly as ``JSONParser`` would, its key fields read on the way, and its
/// own bytes stored as the `record` jsonb (PostgreSQL normalises them). A record that is not JSON, not valid UTF-8,
/// or lacks a key field is rejected with its position; the others load.
enum CloudTrailRecordParser {
    /// All the rows of a file (for one file's load and tests; the loader itself reads files in batches with
    /// ``read(_:into:upTo:)``).
    static func rows(path: String) throws(LoadError) -> StagedRows {
        var stream = try CloudTrailRecordStream(path: path)
        var staged = StagedRows()
        while try read(&stream, into: &staged, upTo: .max) {}
        return staged
    }

    static func rows(bytes: [UInt8], file: String) -> StagedRows {
        var stream = CloudTrailRecordStream(FileChunks(bytes: bytes, name: file))
        var staged = StagedRows()
        // In-memory bytes cannot fail to read.
        while (try? read(&stream, into: &staged, upTo: .max)) == true {}
        return staged
    }

    /// Reads records from `stream` into `staged` (rows, and rejections with their position) until `staged` holds
    /// `limit` rows or the file ends; true when it stopped at the limit (more may follow), false at the end.
    ///
    /// - Throws: ``LoadError`` when the file cannot be read further.
    static func read(_ stream: inout CloudTrailRecordStream, into staged: inout StagedRows, upTo limit: Int) throws(LoadError) -> Bool {
        while staged.rows.count < limit {
            guard let record = try stream.next() else { return false }
            let outcome: Result<[String?], RowRejection> =
                record.tooLarge
                ? .failure(RowRejection("record larger than \(stream.maxRecordBytes) bytes"))
                : stream.buffer.withUnsafeBufferPointer { row(UnsafeBufferPointer(rebasing: $0[record.range])) }
            switch outcome {
            case .success(let row): staged.rows.append(row)
            case .failure(let reason):
                let position = "line \(record.line) (record \(record.number))"
                staged.rejected.append(LoadRejection(file: stream.name, position: position, reason: reason.message))
            }
        }
        return true
    }

    /// The first non-blank byte; when it opens an object, where its `Records` array starts (the strict reader
    /// accepting every member before it), or else the object's range when it is valid and the only value in `bytes`.
    static func topLevel(_ bytes: UnsafeBufferPointer<UInt8>) -> (first: UInt8?, records: Int?, single: Range<Int>?) {
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
}
