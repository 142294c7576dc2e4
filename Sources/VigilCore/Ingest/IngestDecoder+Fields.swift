import Foundation

extension IngestDecoder {
    /// Parses and validates one item.
    func decodeItem(
        _ span: ItemSpan, in body: UnsafeBufferPointer<UInt8>, now: Date, payload form: PayloadForm
    ) -> Result<DecodedAlert, IngestRejection> {
        Result { () throws(IngestRejection) -> DecodedAlert in
            guard span.range.count <= configuration.maxItemBytes else {
                throw IngestRejection(
                    code: .tooLarge, field: IngestRejection.itemField,
                    reason: "item is larger than \(configuration.maxItemBytes) bytes", line: span.line)
            }
            guard form == .textOnly else { return try parseItem(span, in: body, now: now) }
            var decoded: DecodedAlert
            if let skimmed = try skimItem(span, in: body, now: now) { decoded = skimmed } else { decoded = try parseItem(span, in: body, now: now) }
            decoded.alert.payload = .null
            return decoded
        }
    }

    /// Decodes one item through ``IngestItemSkimmer``: nil when the skimmer is not certain of the item (then
    /// ``parseItem(_:in:now:)`` decides, with the parser's own rejection).
    func skimItem(_ span: ItemSpan, in body: UnsafeBufferPointer<UInt8>, now: Date) throws(IngestRejection) -> DecodedAlert? {
        let item = UnsafeBufferPointer(rebasing: body[span.range])
        guard let skimmed = IngestItemSkimmer.skim(item, maxDepth: configuration.maxBodyDepth) else { return nil }
        let parser = JSONParser(maxDepth: configuration.maxBodyDepth, maxStringBytes: Int.max, duplicateKeys: .reject)
        var members: [JSONObject.Member] = []
        members.reserveCapacity(skimmed.members.count)
        var rawPayload: UnsafeBufferPointer<UInt8>?
        for member in skimmed.members {
            let text = UnsafeBufferPointer(rebasing: item[member.value])
            if member.key == IngestField.payload.rawValue, skimmed.payloadShape != nil {
                rawPayload = text
                continue
            }
            // The alert's own fields, checked by the skimmer. A string without escapes is its bytes (valid UTF-8: the
            // skimmer checked the item), as the parser would make it; other values go through the parser.
            let value: JSONValue
            if text.first == UInt8(ascii: "\""), !text.contains(UInt8(ascii: "\\")) {
                value = .string(String(decoding: UnsafeBufferPointer(rebasing: text.dropFirst().dropLast()), as: UTF8.self))
            } else {
                guard let parsed = try? parser.parse(bytes: text) else { return nil }
                value = parsed
            }
            members.append(JSONObject.Member(key: member.key, value: value))
        }
        var payload = PayloadSource.parsed(raw: nil)
        if let shape = skimmed.payloadShape, let rawPayload { payload = .skimmed(text: rawPayload, shape: shape) }
        do throws(IngestRejection) {
            return try decodeAlert(JSONObject(members), payload: payload, line: span.line, now: now)
        } catch {
            var rejection = error
            rejection.line = span.line
            throw rejection
        }
    }

    /// Decodes one item through ``JSONParser``.
    func parseItem(_ span: ItemSpan, in body: UnsafeBufferPointer<UInt8>, now: Date) throws(IngestRejection) -> DecodedAlert {
        let parser = JSONParser(maxDepth: configuration.maxBodyDepth, maxStringBytes: Int.max, duplicateKeys: .reject)
        let value: JSONValue
        do throws(JSONParseError) {
            value = try parser.parse(bytes: UnsafeBufferPointer(rebasing: body[span.range]))
        } catch {
            // Positions in the body: the item's own line 1 starts at the item's column.
            let line = span.line + error.line - 1
            let column = error.line == 1 ? span.column + error.column - 1 : error.column
            var reason = "malformed JSON: \(error.code) at line \(line), column \(column)"
            if let key = error.key { reason += " (key \"\(IngestRejection.displayName(ofField: key))\")" }
            throw IngestRejection(code: .malformedJSON, field: IngestRejection.itemField, reason: reason, line: span.line)
        }
        guard case .object(let object) = value else {
            throw IngestRejection(
                code: .notAnObject, field: IngestRejection.itemField,
                reason: "expected an alert object, found \(value.typeName)", line: span.line)
        }
        do throws(IngestRejection) {
            let rawPayload = rawMember(IngestField.payload.rawValue, inObject: span.range, of: body).map {
                UnsafeBufferPointer(rebasing: body[$0])
            }
            return try decodeAlert(object, payload: .parsed(raw: rawPayload), line: span.line, now: now)
        } catch {
            var rejection = error
            rejection.line = span.line
            throw rejection
        }
    }

    /// Where the payload of an item comes from.
    enum PayloadSource {
        /// The `payload` member of the parsed object (absent when it is not there), with its text as sent when known.
        case parsed(raw: UnsafeBufferPointer<UInt8>?)
        /// An object payload the skimmer read without building it: its text as sent and its shape.
        case skimmed(text: UnsafeBufferPointer<UInt8>, shape: PayloadShape)
    }

    /// Validates the fields of one alert object.
    ///
    /// - Parameter payload: the payload, parsed (with its text as sent when found; else the parsed payload is
    ///   serialised) or skimmed (then `alert.payload` is `.null`).
    func decodeAlert(
        _ object: JSONObject, payload payloadSource: PayloadSource, line: Int, now: Date
    ) throws(IngestRejection) -> DecodedAlert {
        if configuration.unknownFields == .reject, let unknown = object.keys.first(where: { !IngestField.names.contains($0) }) {
            throw IngestRejection(
                code: .unknownField, field: IngestRejection.displayName(ofField: unknown),
                reason: "unknown field; alert fields are \(IngestField.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let source = try requiredText(object, .source, maxLength: 128)
        let externalID = try externalID(object)
        let kind = try requiredText(object, .kind, maxLength: 128)
        let severity = try severity(object)
        let occurredAt = try occurredAt(object, now: now)
        let principal = try optionalText(object, .principal, maxLength: 2048)
        let resource = try optionalText(object, .resource, maxLength: 2048)
        let account = try account(object)
        let sourceIP = try sourceIP(object)
        let (payload, payloadJSON): (JSONValue, String)
        switch payloadSource {
        case .parsed(let raw): (payload, payloadJSON) = try self.payload(object, raw: raw)
        case .skimmed(let text, let shape):
            try checkPayload(shape)
            (payload, payloadJSON) = (.null, try payloadText(text))
        }
        let alert = Alert(
            source: source, externalID: externalID, kind: kind, severity: severity, occurredAt: occurredAt,
            principal: principal, resource: resource, account: account, sourceIP: sourceIP, payload: payload)
        return DecodedAlert(alert: alert, payloadJSON: payloadJSON, line: line)
    }

    // MARK: Fields

    func externalID(_ object: JSONObject) throws(IngestRejection) -> String {
        if case .int(let number) = object[IngestField.externalID.rawValue] { return String(number) }
        return try requiredText(object, .externalID, maxLength: 256)
    }

    func severity(_ object: JSONObject) throws(IngestRejection) -> Severity {
        let field = IngestField.severity
        let score: Double
        switch object[field.rawValue] {
        case nil, .null?:
            throw missing(field)
        case .string(let text)?:
            guard let number = Double(text) else {
                guard let named = Severity(lenient: text) else {
                    throw IngestRejection(
                        code: .invalid, field: field.rawValue,
                        reason: "must be informational, low, medium, high, critical or a score from 0 to 10")
                }
                return named
            }
            score = number
        case let value?:
            guard let number = value.doubleValue else { throw wrongType(field, expected: "a string or a number", found: value) }
            score = number
        }
        guard score.isFinite, score >= 0, score <= 10, let severity = Severity(score: score) else {
            throw IngestRejection(code: .outOfRange, field: field.rawValue, reason: "a numeric severity must be from 0 to 10")
        }
        return severity
    }

    func occurredAt(_ object: JSONObject, now: Date) throws(IngestRejection) -> Date {
        let field = IngestField.occurredAt
        let date: Date
        switch object[field.rawValue] {
        case nil, .null?:
            throw missing(field)
        case .string(let text)?:
            guard let parsed = RFC3339.parse(text) else {
                throw IngestRejection(
                    code: .invalid, field: field.rawValue,
                    reason: "must be an RFC 3339 timestamp with a zone (2024-05-01T12:00:00Z) or epoch time as a number")
            }
            date = parsed
        case .int(let number)?:
            date = IngestDecoder.epochDate(Double(number))
        case .double(let number)?:
            date = IngestDecoder.epochDate(number)
        case let value?:
            throw wrongType(field, expected: "a string or a number", found: value)
        }
        let latest = now.addingTimeInterval(configuration.maxFutureSkew.seconds)
        guard date >= configuration.earliestOccurredAt, date <= latest else {
            throw IngestRejection(
                code: .outOfRange, field: field.rawValue,
                reason: "must lie between \(IngestDecoder.dayText(configuration.earliestOccurredAt)) and "
                    + "\(Int(configuration.maxFutureSkew.seconds / 3600)) hours from now")
        }
        return date
    }

    /// Epoch time in seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude.
    static func epochDate(_ number: Double) -> Date {
        let magnitude = abs(number)
        let seconds: Double =
            switch magnitude {
            case ..<1e11: number
            case ..<1e14: number / 1e3
            case ..<1e17: number / 1e6
            default: number / 1e9
            }
        return Date(timeIntervalSince1970: seconds)
    }

    /// `YYYY-MM-DD` of `date` in UTC (for rejection reasons).
    static func dayText(_ date: Date) -> String {
        let civil = CivilDate(daysSince1970: Int((date.timeIntervalSince1970 / 86_400).rounded(.down)))
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(civil.year)-\(two(civil.month))-\(two(civil.day))"
    }

    func account(_ object: JSONObject) throws(IngestRejection) -> String? {
        let field = IngestField.account
        if case .int? = object[field.rawValue] {
            throw IngestRejection(
                code: .wrongType, field: field.rawValue,
                reason: "must be a string: as a number an AWS account id loses its leading zeros")
        }
        guard let account = try optionalText(object, field, maxLength: 128) else { return nil }
        let allowed = account.utf8.allSatisfy { byte in
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "@"): true
            default: false
            }
        }
        guard allowed else {
            throw IngestRejection(code: .invalid, field: field.rawValue, reason: "may contain only letters, digits and - _ . : / @")
        }
        if account.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), account.utf8.count != 12 {
            throw IngestRejection(code: .invalid, field: field.rawValue, reason: "an all-digit account must be a 12-digit AWS account id")
        }
        return account
    }

    func sourceIP(_ object: JSONObject) throws(IngestRejection) -> String? {
        let field = IngestField.sourceIP
        guard let text = try optionalText(object, field, maxLength: 64) else { return nil }
        guard let address = IPAddress(text, leadingZeros: .decimal) else {
            throw IngestRejection(code: .invalid, field: field.rawValue, reason: "must be an IPv4 or IPv6 address without zone or port")
        }
        return address.unmapped.description
    }

    func payload(_ object: JSONObject, raw: UnsafeBufferPointer<UInt8>?) throws(IngestRejection) -> (JSONValue, String) {
        let field = IngestField.payload.rawValue
        switch object[field] {
        case nil, .null?:
            return (.object(JSONObject()), "{}")
        case .object?:
            let payload = object[field]!
            try checkPayload(PayloadShape(of: payload))
            // The text as sent (already validated by the parser) spares a serialisation.
            if let raw { return (payload, try payloadText(raw)) }
            let text = payload.jsonText
            guard text.utf8.count <= configuration.maxPayloadBytes else { throw payloadTooLarge() }
            return (payload, text)
        case let value?:
            throw wrongType(.payload, expected: "an object", found: value)
        }
    }

    /// Checks an object payload's depth and NUL characters.
    func checkPayload(_ shape: PayloadShape) throws(IngestRejection) {
        let field = IngestField.payload.rawValue
        guard shape.depth <= configuration.maxPayloadDepth else {
            throw IngestRejection(code: .tooDeep, field: field, reason: "nests deeper than \(configuration.maxPayloadDepth) levels")
        }
        guard !shape.containsNUL else {
            throw IngestRejection(code: .invalid, field: field, reason: "contains \\u0000, which PostgreSQL cannot store")
        }
    }

    /// An object payload's text as sent (valid UTF-8, checked by the parser or the skimmer), within the size limit.
    func payloadText(_ raw: UnsafeBufferPointer<UInt8>) throws(IngestRejection) -> String {
        guard raw.count <= configuration.maxPayloadBytes else { throw payloadTooLarge() }
        return String(decoding: raw, as: UTF8.self)
    }

    func payloadTooLarge() -> IngestRejection {
        IngestRejection(
            code: .tooLarge, field: IngestField.payload.rawValue, reason: "is larger than \(configuration.maxPayloadBytes) bytes")
    }

    /// Depth and NUL characters of a payload, found in one walk.
    struct PayloadShape {
        var depth = 0
        var containsNUL = false

        init(of value: JSONValue) {
            visit(value, level: 0)
        }

        init(depth: Int, containsNUL: Bool) {
            self.depth = depth
            self.containsNUL = containsNUL
        }

        private mutating func visit(_ value: JSONValue, level: Int) {
            switch value {
            case .string(let text):
                if PayloadShape.hasNUL(text) { containsNUL = true }
            case .array(let items):
                depth = max(depth, level + 1)
                for item in items { visit(item, level: level + 1) }
            case .object(let object):
                depth = max(depth, level + 1)
                for member in object {
                    if PayloadShape.hasNUL(member.key) { containsNUL = true }
                    visit(member.value, level: level + 1)
                }
            default:
                break
            }
        }

        static func hasNUL(_ text: String) -> Bool {
            text.utf8.withContiguousStorageIfAvailable { $0.contains(0) } ?? text.utf8.contains(0)
        }
    }

    // MARK: Text

    func requiredText(_ object: JSONObject, _ field: IngestField, maxLength: Int) throws(IngestRejection) -> String {
        guard let text = try optionalText(object, field, maxLength: maxLength, emptyIsAbsent: false) else { throw missing(field) }
        guard !text.isEmpty else { throw IngestRejection(code: .invalid, field: field.rawValue, reason: "must not be empty") }
        return text
    }

    /// A string field; nil when absent or null (and, for optional fields, empty).
    func optionalText(
        _ object: JSONObject, _ field: IngestField, maxLength: Int, emptyIsAbsent: Bool = true
    ) throws(IngestRejection) -> String? {
        switch object[field.rawValue] {
        case nil, .null?:
            return nil
        case .string(let text)?:
            if text.isEmpty { return emptyIsAbsent ? nil : text }
            // A text has at most as many scalars as UTF-8 bytes (a count kept by the string): most need no count.
            guard text.utf8.count <= maxLength || text.unicodeScalars.count <= maxLength else {
                throw IngestRejection(code: .tooLong, field: field.rawValue, reason: "must be at most \(maxLength) characters")
            }
            if let problem = IngestDecoder.printabilityProblem(text) {
                throw IngestRejection(code: .invalid, field: field.rawValue, reason: problem)
            }
            return text
        case let value?:
            throw wrongType(field, expected: "a string", found: value)
        }
    }

    /// Why `text` is not printable, or nil when it is.
    static func printabilityProblem(_ text: String) -> String? {
        // Fast path: printable ASCII needs no Unicode property lookups.
        let ascii = text.utf8.withContiguousStorageIfAvailable { $0.allSatisfy { $0 >= 0x20 && $0 < 0x7F } } ?? false
        if ascii {
            return text.utf8.first == 0x20 || text.utf8.last == 0x20 ? "must not begin or end with white space" : nil
        }
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control: return "must not contain control characters"
            case .format: return "must not contain invisible format characters"
            case .lineSeparator, .paragraphSeparator: return "must not contain line or paragraph separators"
            case .unassigned, .privateUse, .surrogate: return "must not contain unassigned or private-use characters"
            default: continue
            }
        }
        if let first = text.unicodeScalars.first, let last = text.unicodeScalars.last,
            first.properties.isWhitespace || last.properties.isWhitespace
        {
            return "must not begin or end with white space"
        }
        return nil
    }

    func missing(_ field: IngestField) -> IngestRejection {
        IngestRejection(code: .missing, field: field.rawValue, reason: "is required")
    }

    func wrongType(_ field: IngestField, expected: String, found: JSONValue) -> IngestRejection {
        IngestRejection(code: .wrongType, field: field.rawValue, reason: "must be \(expected), found \(found.typeName)")
    }
}
