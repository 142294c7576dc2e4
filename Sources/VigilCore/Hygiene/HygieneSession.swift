/// Cleans all untrusted data of one alert's triage before it can reach a model (DESIGN.md invariant 6).
///
/// One session per alert: the alert and every tool result go through the same session, so a secret gets the same
/// placeholder everywhere in that alert's conversation. For every string (object keys included) it
/// 1. removes control and invisible characters (``UnicodeScrubber``),
/// 2. looks for instruction-like content on the scrubbed, un-truncated text (``InjectionDetector``),
/// 3. redacts secrets with stable placeholders (``SecretRedactor``; whole values of secret-named fields),
/// 4. bounds the length, never cutting through a placeholder;
/// and it bounds depth, array and object sizes and the total size of each document. Findings name the field by its
/// path (`requestParameters.tags[0].value`), never its content.
public struct HygieneSession: Sendable {
    /// Size bounds. Every key is optional with the default shown; none is secret.
    public struct Configuration: Sendable, Hashable {
        /// Longest string kept, in characters (default 2,048); longer ones end in `…[truncated N chars]`.
        public var maxStringLength: Int
        /// Longest object key kept, in characters (default 128).
        public var maxKeyLength: Int
        /// Most array items kept (default 100); the rest are replaced by one `…[N more items]` string.
        public var maxArrayItems: Int
        /// Most object members kept (default 200).
        public var maxObjectMembers: Int
        /// Deepest nesting kept (default 16); deeper values become `…[too deep]`.
        public var maxDepth: Int
        /// Most characters of strings kept in one document (default 32,768); later strings become `…[budget]`.
        public var maxTotalCharacters: Int
        /// Detector settings.
        public var detector: InjectionDetector

        public init(
            maxStringLength: Int = 2_048,
            maxKeyLength: Int = 128,
            maxArrayItems: Int = 100,
            maxObjectMembers: Int = 200,
            maxDepth: Int = 16,
            maxTotalCharacters: Int = 32_768,
            detector: InjectionDetector = InjectionDetector()
        ) {
            self.maxStringLength = maxStringLength
            self.maxKeyLength = maxKeyLength
            self.maxArrayItems = maxArrayItems
            self.maxObjectMembers = maxObjectMembers
            self.maxDepth = maxDepth
            self.maxTotalCharacters = maxTotalCharacters
            self.detector = detector
        }
    }

    public let configuration: Configuration
    /// Where texts without a secret are shared with other sessions (nil: this session's own memory only).
    private let memo: HygieneMemo?
    private var redactor = SecretRedactor()
    /// Everything found so far in this session.
    public private(set) var report = HygieneReport()
    private var budget = 0
    /// Where the walk is: rendered into a path only when something is recorded.
    private var segments: [Segment] = []
    /// Keys already cleaned in this session that needed no redaction: keys repeat across events.
    private var cleanedKeys: [String: (key: String, signals: [InjectionSignal])] = [:]
    private var secretFieldNames: [String: Bool] = [:]
    /// Texts already inspected in this session, by their text: values repeat across the events of a tool result and
    /// across results (the principal, its account, regions, event sources, user agents). Texts without a secret are
    /// also shared with other sessions through ``HygieneMemo``.
    private var inspections: [String: Inspection] = [:]

    /// What scrubbing, detection and redaction made of one text. All three are functions of the text alone, except
    /// that the redactor numbers the secrets it replaces, so a text with a secret is redacted again each time.
    struct Inspection: Sendable {
        var scrubbed: UnicodeScrubber.Result
        var signals: [InjectionSignal]
        /// The scrubbed text after redaction, when redaction found nothing in it.
        var redacted: String?
    }

    /// Texts up to this many UTF-8 bytes are remembered (longer ones seldom repeat), at most ``inspectionsKept`` of
    /// them: about a megabyte per session at most, whatever the tools return.
    static let inspectedTextBytes = 256
    static let inspectionsKept = 4096

    private enum Segment {
        case document(String)
        case key(String)
        case index(Int)
        case keyItself
    }

    /// - Parameter memo: shares what this session learns about texts without a secret with other sessions, and
    ///   learns from them; used only when its detector is this configuration's (nil: no sharing).
    public init(configuration: Configuration = Configuration(), memo: HygieneMemo? = .shared) {
        self.configuration = configuration
        self.memo = memo.flatMap { $0.detector == configuration.detector ? $0 : nil }
    }

    /// Sanitises an alert: its own fields and its payload, as one JSON object for the model.
    public mutating func sanitize(alert: Alert) -> JSONValue {
        var object = JSONObject()
        object["source"] = .string(alert.source)
        object["kind"] = .string(alert.kind)
        object["severity"] = .string(alert.severity.rawValue)
        if let principal = alert.principal { object["principal"] = .string(principal) }
        if let resource = alert.resource { object["resource"] = .string(resource) }
        if let account = alert.account { object["account"] = .string(account) }
        if let sourceIP = alert.sourceIP { object["source_ip"] = .string(sourceIP) }
        object["payload"] = alert.payload
        return sanitize(.object(object), document: "alert")
    }

    /// Sanitises one document (the alert, one tool result).
    /// - Parameter document: names the document in findings' paths (`alert`, `get_cloudtrail_events#2`).
    public mutating func sanitize(_ value: JSONValue, document: String) -> JSONValue {
        budget = configuration.maxTotalCharacters
        segments = [.document(document)]
        return walk(value, depth: 0)
    }

    /// Sanitises one piece of free text (an error message from a tool, …).
    public mutating func sanitize(text: String, document: String) -> String {
        budget = configuration.maxTotalCharacters
        segments = [.document(document)]
        return clean(text, limit: configuration.maxStringLength)
    }

    /// The path of the field being walked (`alert.requestParameters.tags[1].value`).
    private var path: String {
        var text = ""
        for segment in segments {
            switch segment {
            case .document(let name): text += name
            case .key(let key): text += "." + Self.pathSegment(key)
            case .index(let index): text += "[\(index)]"
            case .keyItself: text += ".<key>"
            }
        }
        return text
    }

    private mutating func walk(_ value: JSONValue, depth: Int) -> JSONValue {
        switch value {
        case .string(let s):
            return .string(clean(s, limit: configuration.maxStringLength))
        case .array(let items):
            if depth >= configuration.maxDepth { return tooDeep() }
            var out: [JSONValue] = []
            out.reserveCapacity(min(items.count, configuration.maxArrayItems + 1))
            for (index, item) in items.enumerated() {
                if index >= configuration.maxArrayItems {
                    out.append(.string("…[\(items.count - index) more items]"))
                    report.truncatedFields.append(path)
                    break
                }
                segments.append(.index(index))
                out.append(walk(item, depth: depth + 1))
                segments.removeLast()
            }
            return .array(out)
        case .object(let object):
            if depth >= configuration.maxDepth { return tooDeep() }
            var members: [JSONObject.Member] = []
            members.reserveCapacity(min(object.count, configuration.maxObjectMembers + 1))
            for (index, member) in object.members.enumerated() {
                if index >= configuration.maxObjectMembers {
                    members.append(JSONObject.Member(key: "…", value: .string("…[\(object.count - index) more members]")))
                    report.truncatedFields.append(path)
                    break
                }
                let key = cleanKey(member.key)
                segments.append(.key(key))
                defer { segments.removeLast() }
                if case .string(let s) = member.value, isSecretFieldName(member.key),
                    let placeholder = redactor.redactWhole(s, fieldName: member.key)
                {
                    report.redactions.append(Redaction(path: path, kind: SecretRedactor.kind(forFieldName: member.key)))
                    // Still look for injection in it: a "password" field is as good a carrier as any.
                    inspect(s)
                    members.append(JSONObject.Member(key: key, value: .string(placeholder)))
                    continue
                }
                members.append(JSONObject.Member(key: key, value: walk(member.value, depth: depth + 1)))
            }
            return .object(JSONObject(members))
        case .null, .bool, .int, .double:
            return value
        }
    }

    private mutating func isSecretFieldName(_ name: String) -> Bool {
        if let known = Self.knownKeys[name] ?? secretFieldNames[name] { return known }
        let secret = SecretRedactor.isSecretFieldName(name)
        secretFieldNames[name] = secret
        return secret
    }

    /// Cleans an object key, reusing an earlier result for the same key when it redacted nothing.
    private mutating func cleanKey(_ key: String) -> String {
        if Self.knownKeys[key] != nil, key.utf8.count <= configuration.maxKeyLength { return key }
        segments.append(.keyItself)
        defer { segments.removeLast() }
        if let cached = cleanedKeys[key] {
            if !cached.signals.isEmpty { report.injectionFindings.append(InjectionFinding(path: path, signals: cached.signals)) }
            return cached.key
        }
        let redactionsBefore = report.redactions.count
        let findingsBefore = report.injectionFindings.count
        let truncationsBefore = report.truncatedFields.count
        let cleaned = clean(key, limit: configuration.maxKeyLength, spendsBudget: false)
        if report.redactions.count == redactionsBefore, report.truncatedFields.count == truncationsBefore {
            let signals = report.injectionFindings.count > findingsBefore ? report.injectionFindings[findingsBefore].signals : []
            cleanedKeys[key] = (cleaned, signals)
        }
        return cleaned
    }

    private mutating func tooDeep() -> JSONValue {
        report.truncatedFields.append(path)
        return .string("…[too deep]")
    }

    /// Scrub, detect, redact, bound. Keys are bounded by their own limit and do not spend the document's budget.
    private mutating func clean(_ text: String, limit: Int, spendsBudget: Bool = true) -> String {
        let inspection = inspect(text)
        let redacted: String
        if let known = inspection.redacted {
            redacted = known
        } else {
            let kinds: [SecretKind]
            (redacted, kinds) = redactor.redact(inspection.scrubbed.text)
            if !kinds.isEmpty {
                let here = path
                for kind in kinds { report.redactions.append(Redaction(path: here, kind: kind)) }
            } else if text.utf8.count <= Self.inspectedTextBytes {
                inspections[text]?.redacted = redacted
                memo?.remember(Inspection(scrubbed: inspection.scrubbed, signals: inspection.signals, redacted: redacted), of: text)
            }
        }
        let allowed = spendsBudget ? max(0, min(limit, budget)) : limit
        // UTF-8 length bounds the character count: most fields need no counting at all.
        let length = redacted.utf8.count <= allowed ? redacted.utf8.count : redacted.count
        var bounded = redacted
        if length > allowed {
            bounded = Self.truncate(redacted, to: allowed)
            report.truncatedFields.append(path)
        }
        if spendsBudget { budget -= min(budget, min(length, allowed)) }
        return bounded
    }

    /// Scrubs `text` and records what the detector finds in it (here, at this path, each time the text is met).
    @discardableResult
    private mutating func inspect(_ text: String) -> Inspection {
        // Only short texts are looked up: hashing a long one (up to the detector's 64 KiB) would buy nothing.
        let rememberable = text.utf8.count <= Self.inspectedTextBytes
        let inspection: Inspection
        if rememberable, let known = inspections[text] {
            inspection = known
        } else {
            if rememberable, let shared = memo?.inspection(of: text) {
                inspection = shared
            } else {
                let scrubbed = UnicodeScrubber.scrub(text)
                let signals = configuration.detector.signals(in: scrubbed.text, hiddenText: scrubbed.hiddenText, removedInvisible: scrubbed.removedCount)
                inspection = Inspection(scrubbed: scrubbed, signals: signals)
            }
            // Kept here too when the memo knew it: the text's next occurrences in this session take no lock.
            if rememberable, inspections.count < Self.inspectionsKept { inspections[text] = inspection }
        }
        if inspection.scrubbed.removedCount > 0 { report.invisibleCharactersRemoved += inspection.scrubbed.removedCount }
        if !inspection.signals.isEmpty {
            report.injectionFindings.append(InjectionFinding(path: path, signals: inspection.signals))
        }
        return inspection
    }

    /// `text` cut to `limit` characters plus a marker, never inside a `[REDACTED:…]` placeholder.
    static func truncate(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        var end = text.index(text.startIndex, offsetBy: limit)
        var searchFrom = text.startIndex
        while let open = text[searchFrom...].range(of: "[REDACTED:"), open.lowerBound < end {
            let close = text[open.upperBound...].firstIndex(of: "]") ?? text.endIndex
            if end <= close {
                end = open.lowerBound
                break
            }
            searchFrom = close
        }
        let dropped = text.distance(from: end, to: text.endIndex)
        return limit == 0 ? "…[budget]" : String(text[..<end]) + "…[truncated \(dropped) chars]"
    }

    /// A key as a path segment: simple identifiers as they are, anything else by position-free placeholder.
    static func pathSegment(_ key: String) -> String {
        let simple =
            key.utf8.count <= 64
            && key.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D || b == 0x3A
            }
        return simple && !key.hasPrefix("[REDACTED") ? key : "<key>"
    }
}

/// What a ``HygieneSession`` found. Paths and kinds only: no field content, no secret.
public struct HygieneReport: Sendable, Hashable, Codable {
    public var injectionFindings: [InjectionFinding] = []
    public var redactions: [Redaction] = []
    public var truncatedFields: [String] = []
    public var invisibleCharactersRemoved = 0

    public init() {}

    /// The findings that make their field suspicious (one strong signal or two weak ones).
    public var suspiciousFields: [InjectionFinding] { injectionFindings.filter { InjectionDetector.isSuspicious($0.signals) } }

    /// Whether any field looked like an instruction to the model.
    public var injectionSuspected: Bool { !suspiciousFields.isEmpty }

    /// The verdict flags this report calls for.
    public var flags: [VerdictFlag] {
        var flags: [VerdictFlag] = []
        if injectionSuspected { flags.append(.injectionSuspected) }
        if !redactions.isEmpty { flags.append(.secretsRedacted) }
        if !truncatedFields.isEmpty { flags.append(.inputTruncated) }
        return flags
    }
}

/// Signals found in one field.
public struct InjectionFinding: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The field's path (`alert.payload.userAgent`).
    public var path: String
    public var signals: [InjectionSignal]

    public var description: String { "\(path): \(signals.map(\.description).joined(separator: ", "))" }
}

/// One secret replaced: where and what kind, never the secret.
public struct Redaction: Sendable, Hashable, Codable, CustomStringConvertible {
    public var path: String
    public var kind: SecretKind

    public var description: String { "\(kind.rawValue) at \(path)" }
}
