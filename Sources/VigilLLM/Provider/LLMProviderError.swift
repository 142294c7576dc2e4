import VigilCore

/// A failed model call. Callers match ``code``; ``description`` names the provider, the status and the code only —
/// the provider's own message (which may echo request content) is kept in ``debugDescription``. The API key never
/// appears in either.
public struct LLMProviderError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// 400: the request is wrong; not retried.
        public static let invalidRequest = Code("invalid request")
        /// 401: the key is missing or wrong; not retried.
        public static let authentication = Code("authentication failed")
        /// 403: the key may not use this resource; not retried.
        public static let permission = Code("permission denied")
        /// 404: unknown model or endpoint; not retried.
        public static let notFound = Code("not found")
        /// 413: the request is too large; not retried.
        public static let requestTooLarge = Code("request too large")
        /// 429: over a rate limit; retried after `retry-after`, which pauses the whole cluster.
        public static let rateLimited = Code("rate limited")
        /// 529 (Anthropic) or 503: the provider is overloaded; backed off, counts for the circuit breaker.
        public static let overloaded = Code("overloaded")
        /// Other 5xx; backed off, counts for the circuit breaker.
        public static let serverError = Code("server error")
        /// Other 4xx; not retried.
        public static let unexpectedStatus = Code("unexpected status")
        /// No answer within the per-call timeout; counts for the circuit breaker.
        public static let timeout = Code("timeout")
        /// The connection failed; counts for the circuit breaker.
        public static let transport = Code("transport error")
        /// A 200 whose body is not the API's shape.
        public static let invalidResponse = Code("invalid response")
        /// The provider is misconfigured (no key, bad URL).
        public static let configuration = Code("configuration error")
        /// The circuit breaker is open: the call was not sent.
        public static let circuitOpen = Code("circuit open")
        /// The rate limiter could not admit the call before its deadline.
        public static let rateLimitDeadline = Code("rate limit wait exceeds deadline")
        /// The cluster's rate-limit state could not be read (database unreachable).
        public static let rateLimiterUnavailable = Code("rate limiter unavailable")
        /// The calling task was cancelled.
        public static let cancelled = Code("cancelled")
    }

    public var code: Code
    /// The provider (`anthropic`, `openai`).
    public var provider: String
    /// The HTTP status, when there was a response.
    public var status: Int?
    /// The provider's error type (`overloaded_error`, `rate_limit_error`, …), when it gave one.
    public var errorType: String?
    /// How long the provider asked callers to wait (`retry-after`), when it did.
    public var retryAfter: Duration?
    /// The response's rate-limit headers, parsed.
    public var rateLimit: RateLimitHeaders
    /// The provider's message or the underlying error's text. May echo request content: debug only.
    public var detail: String

    public init(
        _ code: Code,
        provider: String,
        status: Int? = nil,
        errorType: String? = nil,
        retryAfter: Duration? = nil,
        rateLimit: RateLimitHeaders = RateLimitHeaders(),
        detail: String = ""
    ) {
        self.code = code
        self.provider = provider
        self.status = status
        self.errorType = errorType
        self.retryAfter = retryAfter
        self.rateLimit = rateLimit
        self.detail = detail
    }

    /// Whether the same request may succeed later: 429, overload, 5xx, timeouts and connection failures.
    public var isRetryable: Bool {
        [Code.rateLimited, .overloaded, .serverError, .timeout, .transport].contains(code)
    }

    /// Whether the failure says the provider is unhealthy (for the circuit breaker): overload, 5xx, timeout,
    /// connection failure.
    public var indicatesOutage: Bool {
        [Code.overloaded, .serverError, .timeout, .transport].contains(code)
    }

    /// The code for an HTTP error status.
    public static func code(forStatus status: Int) -> Code {
        switch status {
        case 400: .invalidRequest
        case 401: .authentication
        case 403: .permission
        case 404: .notFound
        case 413: .requestTooLarge
        case 429: .rateLimited
        case 503, 529: .overloaded
        case 500..<600: .serverError
        default: .unexpectedStatus
        }
    }

    public var description: String {
        var text = "LLMProviderError(\(provider): \(code)"
        if let status { text += ", HTTP \(status)" }
        if let errorType { text += ", \(errorType)" }
        return text + ")"
    }

    public var debugDescription: String { detail.isEmpty ? description : "\(description): \(detail)" }
}
