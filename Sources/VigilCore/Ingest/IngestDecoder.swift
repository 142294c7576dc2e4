import Foundation

/// Decodes an ingest request body into alerts, with a result for every input item (DESIGN invariant 8).
///
/// Bodies:
/// - `application/json`: a JSON array of alert objects, or a single alert object. The array's structure is read
///   first; an item whose own JSON is malformed (a bad escape, a duplicate key, a bad number) is rejected alone
///   with its line and column, while a break in the array's structure (unbalanced brackets, missing comma,
///   unterminated string) makes the whole body one ``IngestError`` naming the line and column.
/// - `application/x-ndjson` (also `application/ndjson`, `application/jsonl`, `application/x-jsonlines`): one
///   alert object a line; blank lines are ignored and do not count as items; a malformed line is rejected with
///   its line number and the other lines are still decoded. `\r\n` line ends are accepted.
/// A `charset` parameter other than UTF-8 is unsupported; a leading UTF-8 byte-order mark is skipped.
///
/// Fields of an alert object (any other top-level field is rejected by default, see
/// ``Configuration/unknownFields``; `null` counts as absent):
///
/// - `source`: required string, 1–128 characters, printable.
/// - `external_id`: required string (1–256 characters, printable) or an integer, stored as its decimal text.
/// - `kind`: required string, 1–128 characters, printable.
/// - `severity`: required: a name (`informational`/`info`, `low`, `medium`/`moderate`, `high`, `critical`, any
///   case) or a GuardDuty score 0–10 as a number or numeric string.
/// - `occurred_at`: required: an RFC 3339 / ISO 8601 string with a zone (see ``RFC3339``), or epoch time as a
///   number (seconds below 1e11, milliseconds below 1e14, microseconds below 1e17, else nanoseconds); within
///   ``Configuration/earliestOccurredAt`` … now + ``Configuration/maxFutureSkew``.
/// - `principal`, `resource`: optional strings, up to 2,048 characters (the longest ARN), printable.
/// - `account`: optional string of 1–128 characters from `A–Z a–z 0–9 - _ . : / @`; an all-digit account must
///   have exactly 12 digits (an AWS account id; a shorter one has usually lost leading zeros in a number
///   conversion). GCP project ids, Azure subscription GUIDs and `organizations/…` pass. A JSON number is refused.
/// - `source_ip`: optional IPv4 or IPv6 address (see ``IPAddress``), stored in canonical form, an IPv4-mapped
///   address as its IPv4 address; zero-padded IPv4 parts are read as decimal, never octal (`010.001.000.007` is
///   `10.1.0.7`), as anonymised CloudTrail logs write them. Zones and ports are refused.
/// - `payload`: optional object, default `{}`: the raw record; at most ``Configuration/maxPayloadBytes`` of
///   JSON text as sent, nested at most ``Configuration/maxPayloadDepth`` deep, and no `\u0000` anywhere
///   (PostgreSQL's `jsonb` cannot hold it).
///
/// An item whose JSON repeats a key anywhere (payload included) is rejected as malformed: parsers disagree on
/// which copy wins, which is a known way to smuggle a value past a check.
///
/// "Printable" means no control characters, no invisible format characters (zero-width, bidirectional
/// overrides), no line or paragraph separators, no unassigned or private-use characters, and no white space at
/// either end (an idempotency key `"a "`
/// that differs from `"a"` only invisibly is a producer bug). Lengths count Unicode scalars, as PostgreSQL
/// counts characters. Empty optional strings count as absent.
///
/// Two items of one body with the same (`source`, `external_id`) are one alert: the second is
/// ``IngestBatch/Item/duplicate(of:)`` the first, whatever else differs.
///
/// Rejection reasons name the field and never contain its value: bodies are untrusted and reasons are logged.
public struct IngestDecoder: Sendable {
    /// Limits and policies of ingest decoding.
    public struct Configuration: Sendable, Hashable {
        /// What to do with a top-level field that is not an alert field.
        public enum UnknownFields: Sendable, Hashable {
            /// Reject the item, naming the field (default): a misspelt `extrenal_id` must not pass silently.
            case reject
            /// Ignore the field.
            case ignore
        }

        /// Most items in one body; more is an ``IngestError/Code/tooManyItems`` error for the whole body
        /// (default 10,000). Not secret.
        public var maxItems: Int
        /// Largest payload of one item, in bytes of its JSON text as sent (default 1 MiB). An item whose text is
        /// larger than this plus 64 KiB is rejected without being parsed. Not secret.
        public var maxPayloadBytes: Int
        /// Deepest nesting inside a payload: `{}` is depth 1 (default 32). Not secret.
        public var maxPayloadDepth: Int
        /// Deepest nesting anywhere in the body, beyond which the whole body is refused rather than one item
        /// (default 128; at least `maxPayloadDepth + 2`). Bounds the parser's recursion. Not secret.
        public var maxBodyDepth: Int
        /// Policy for unknown top-level fields (default ``UnknownFields/reject``). Not secret.
        public var unknownFields: UnknownFields
        /// Earliest accepted `occurred_at` (default 2000-01-01T00:00:00Z). Not secret.
        public var earliestOccurredAt: Date
        /// How far in the future of the decoder's `now` an `occurred_at` may be (default 24 hours, for clock
        /// skew). Not secret.
        public var maxFutureSkew: Duration

        public init(
            maxItems: Int = 10_000,
            maxPayloadBytes: Int = 1 << 20,
            maxPayloadDepth: Int = 32,
            maxBodyDepth: Int = 128,
            unknownFields: UnknownFields = .reject,
            earliestOccurredAt: Date = Date(timeIntervalSince1970: 946_684_800),
            maxFutureSkew: Duration = .seconds(86_400)
        ) {
            self.maxItems = maxItems
            self.maxPayloadBytes = maxPayloadBytes
            self.maxPayloadDepth = maxPayloadDepth
            self.maxBodyDepth = maxBodyDepth
            self.unknownFields = unknownFields
            self.earliestOccurredAt = earliestOccurredAt
            self.maxFutureSkew = maxFutureSkew
        }

        /// Checks that the limits make sense together.
        ///
        /// - Throws: ``IngestError`` with code ``IngestError/Code/invalidConfiguration`` naming the key.
        public func validate() throws(IngestError) {
            func invalid(_ message: String) -> IngestError { IngestError(code: .invalidConfiguration, message: message) }
            guard maxItems >= 1 else { throw invalid("maxItems must be at least 1") }
            guard maxPayloadBytes >= 2 else { throw invalid("maxPayloadBytes must be at least 2") }
            guard maxPayloadDepth >= 1 else { throw invalid("maxPayloadDepth must be at least 1") }
            guard maxBodyDepth >= maxPayloadDepth + 2, maxBodyDepth <= 10_000 else {
                throw invalid("maxBodyDepth must be between maxPayloadDepth + 2 and 10000")
            }
            guard maxFutureSkew >= .zero else { throw invalid("maxFutureSkew must not be negative") }
        }

        /// Largest item text parsed at all: the payload limit plus room for the other fields.
        var maxItemBytes: Int { maxPayloadBytes + (64 << 10) }
    }

    /// The body formats the decoder reads.
    public enum Format: Sendable, Hashable {
        case json
        case ndjson

        /// The format of a `Content-Type` header value; nil when unsupported.
        ///
        /// Media types are compared without case; a `charset` parameter must be UTF-8; other parameters are ignored.
        public init?(contentType: String) {
            let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let mediaType = parts.first else { return nil }
            for parameter in parts.dropFirst() where parameter.hasPrefix("charset=") {
                let charset = parameter.dropFirst("charset=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                guard charset == "utf-8" || charset == "utf8" else { return nil }
            }
            switch mediaType {
            case "application/json": self = .json
            case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines": self = .ndjson
            default: return nil
            }
        }
    }

    /// What the decoder hands back of each accepted item's payload.
    public enum PayloadForm: Sendable, Hashable {
        /// `alert.payload` holds the parsed payload and ``DecodedAlert/payloadJSON`` its text (default).
        case value
        /// Only ``DecodedAlert/payloadJSON``; `alert.payload` is `.null`. The payload is validated exactly as with
        /// ``value`` (same items accepted, same rejections), but an item whose keys are plain ASCII is read in one
        /// pass (``IngestItemSkimmer``) without building its payload's tree: for callers that only store the text.
        case textOnly
    }

    public let configuration: Configuration

    /// A decoder with validated limits.
    ///
    /// - Throws: ``IngestError`` with code ``IngestError/Code/invalidConfiguration``.
    public init(configuration: Configuration = Configuration()) throws(IngestError) {
        try configuration.validate()
        self.configuration = configuration
    }

    /// Decodes `body` sent with the `Content-Type` header `contentType`.
    ///
    /// - Parameters:
    ///   - body: the raw request body.
    ///   - contentType: the header's value; nil is unsupported.
    ///   - now: the current time, for the `occurred_at` window.
    /// - Returns: one item per input item, in input order.
    /// - Throws: ``IngestError`` when the body as a whole cannot be read (see ``IngestError``).
    ///   - payload: what to hand back of each payload (default ``PayloadForm/value``).
    public func decode<Body: Collection>(
        body: Body, contentType: String?, now: Date, payload: PayloadForm = .value
    ) throws(IngestError) -> IngestBatch
    where Body.Element == UInt8 {
        guard let contentType, let format = Format(contentType: contentType) else {
            throw IngestError(
                code: .unsupportedContentType,
                message: "Content-Type must be application/json or application/x-ndjson (UTF-8)"
            )
        }
        return try decode(body: body, format: format, now: now, payload: payload)
    }

    /// Decodes `body` in `format`; see ``decode(body:contentType:now:payload:)``.
    public func decode<Body: Collection>(
        body: Body, format: Format, now: Date, payload: PayloadForm = .value
    ) throws(IngestError) -> IngestBatch
    where Body.Element == UInt8 {
        let direct = body.withContiguousStorageIfAvailable { buffer in
            Result { () throws(IngestError) -> IngestBatch in try decode(buffer: buffer, format: format, now: now, payload: payload) }
        }
        if let direct { return try direct.get() }
        let copied = Array(body).withUnsafeBufferPointer { buffer in
            Result { () throws(IngestError) -> IngestBatch in try decode(buffer: buffer, format: format, now: now, payload: payload) }
        }
        return try copied.get()
    }

    func decode(buffer: UnsafeBufferPointer<UInt8>, format: Format, now: Date, payload: PayloadForm) throws(IngestError) -> IngestBatch {
        var body = buffer
        if body.count >= 3, body[0] == 0xEF, body[1] == 0xBB, body[2] == 0xBF {
            body = UnsafeBufferPointer(rebasing: body[3...])
        }
        let spans: [ItemSpan]
        switch format {
        case .json: spans = try jsonItemSpans(body)
        case .ndjson: spans = try ndjsonItemSpans(body)
        }
        var items: [IngestBatch.Item] = []
        items.reserveCapacity(spans.count)
        var firstIndexOfKey: [AlertKey: Int] = [:]
        firstIndexOfKey.reserveCapacity(spans.count)
        for span in spans {
            switch decodeItem(span, in: body, now: now, payload: payload) {
            case .failure(let rejection):
                items.append(.rejected(rejection))
            case .success(let decoded):
                let key = AlertKey(source: decoded.alert.source, externalID: decoded.alert.externalID)
                if let first = firstIndexOfKey[key] {
                    items.append(.duplicate(of: first))
                } else {
                    firstIndexOfKey[key] = items.count
                    items.append(.accepted(decoded))
                }
            }
        }
        return IngestBatch(items: items)
    }

    /// The idempotency key of an alert.
    struct AlertKey: Hashable {
        var source: String
        var externalID: String
    }
}
