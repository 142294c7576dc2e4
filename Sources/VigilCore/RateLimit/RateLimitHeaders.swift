import Foundation

/// Rate-limit state read from a provider's response headers. Pure parsing; applying it is
/// ``RateLimiterState/observe(_:now:)``.
///
/// - Anthropic: `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`, the reset
///   an RFC 3339 time; `tokens` is the most restrictive token limit in effect.
/// - OpenAI-compatible servers: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, the reset a duration such as
///   `1s`, `6m0s` or `20ms`; `tokens` counts input and output together.
/// - Both: `retry-after` in seconds or as an HTTP date, and `retry-after-ms`.
///
/// Unparseable values are ignored: a header the parser cannot read never loosens a limit.
public struct RateLimitHeaders: Sendable, Hashable {
    public var requests: RateLimitObservation?
    /// A combined (input and output) token limit.
    public var tokens: RateLimitObservation?
    public var inputTokens: RateLimitObservation?
    public var outputTokens: RateLimitObservation?
    public var retryAfter: Duration?

    public init(
        requests: RateLimitObservation? = nil,
        tokens: RateLimitObservation? = nil,
        inputTokens: RateLimitObservation? = nil,
        outputTokens: RateLimitObservation? = nil,
        retryAfter: Duration? = nil
    ) {
        self.requests = requests
        self.tokens = tokens
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.retryAfter = retryAfter
    }

    /// Reads Anthropic's headers. `now` is the wall-clock time of the response, for the RFC 3339 resets.
    public static func anthropic(_ headers: [(name: String, value: String)], now: Date) -> RateLimitHeaders {
        let fields = lowercased(headers)
        func limit(_ name: String) -> RateLimitObservation? {
            let prefix = "anthropic-ratelimit-\(name)-"
            let observation = RateLimitObservation(
                limit: fields[prefix + "limit"].flatMap { Int($0) },
                remaining: fields[prefix + "remaining"].flatMap { Int($0) },
                resetIn: fields[prefix + "reset"].flatMap { timestamp($0) }.map { duration(from: now, to: $0) }
            )
            return observation.isEmpty ? nil : observation
        }
        return RateLimitHeaders(
            requests: limit("requests"),
            tokens: limit("tokens"),
            inputTokens: limit("input-tokens"),
            outputTokens: limit("output-tokens"),
            retryAfter: retryAfter(fields, now: now)
        )
    }

    /// Reads the `x-ratelimit-*` headers of OpenAI-compatible servers.
    public static func openAI(_ headers: [(name: String, value: String)], now: Date) -> RateLimitHeaders {
        let fields = lowercased(headers)
        func limit(_ name: String) -> RateLimitObservation? {
            let observation = RateLimitObservation(
                limit: fields["x-ratelimit-limit-\(name)"].flatMap { Int($0) },
                remaining: fields["x-ratelimit-remaining-\(name)"].flatMap { Int($0) },
                resetIn: fields["x-ratelimit-reset-\(name)"].flatMap { goDuration($0) }
            )
            return observation.isEmpty ? nil : observation
        }
        return RateLimitHeaders(requests: limit("requests"), tokens: limit("tokens"), retryAfter: retryAfter(fields, now: now))
    }

    static func lowercased(_ headers: [(name: String, value: String)]) -> [String: String] {
        var fields: [String: String] = [:]
        fields.reserveCapacity(headers.count)
        for header in headers { fields[header.name.lowercased()] = trimmingOptionalWhitespace(header.value) }
        return fields
    }

    /// `value` without the spaces and tabs HTTP allows around a field value (`OWS`, RFC 9110): by bytes, not through
    /// Foundation's `CharacterSet`, which cost most of this parser's time (every answer carries a dozen headers).
    static func trimmingOptionalWhitespace(_ value: String) -> String {
        let bytes = value.utf8
        func isOWS(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        guard let first = bytes.firstIndex(where: { !isOWS($0) }), let last = bytes.lastIndex(where: { !isOWS($0) }) else { return "" }
        if first == bytes.startIndex, bytes.index(after: last) == bytes.endIndex { return value }
        return String(value[first...last])
    }

    static func retryAfter(_ fields: [String: String], now: Date) -> Duration? {
        if let ms = fields["retry-after-ms"].flatMap({ Double($0) }), ms.isFinite, ms >= 0 { return .milliseconds(Int64(ms.rounded(.up))) }
        guard let value = fields["retry-after"] else { return nil }
        if let seconds = Double(value), seconds.isFinite, seconds >= 0 { return .milliseconds(Int64((seconds * 1000).rounded(.up))) }
        return httpDate(value).map { duration(from: now, to: $0) }
    }

    /// A duration written as Go prints one: `1h2m3.5s`, `6m0s`, `20ms`, `150us`, `0s`.
    public static func goDuration(_ text: String) -> Duration? {
        var total = 0.0
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter || $0 == "µ" }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "h": total += value * 3600
            case "m": total += value * 60
            case "s": total += value
            case "ms": total += value / 1e3
            case "us", "µs": total += value / 1e6
            case "ns": total += value / 1e9
            default: return nil
            }
        }
        return .microseconds((total * 1e6).rounded(.up))
    }

    /// An RFC 3339 timestamp with its zone (`2026-09-21T14:13:22.500Z`), by ``RFC3339``: Foundation's ISO 8601 styles
    /// cost about a twentieth of a worker's CPU here, four resets per answer, each tried with and without a fraction.
    static func timestamp(_ text: String) -> Date? {
        RFC3339.parse(text)
    }

    /// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }

    /// From `now` to `date`, never negative.
    static func duration(from now: Date, to date: Date) -> Duration {
        .milliseconds(Int64((max(0, date.timeIntervalSince(now)) * 1000).rounded(.up)))
    }
}
