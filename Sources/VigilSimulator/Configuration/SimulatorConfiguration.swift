/// Everything that shapes one simulator run. Every key has a default; ``validate()`` checks ranges.
///
/// No key is secret except ``apiKey``, which is never logged, never echoed in an error and never stored in the
/// request log.
public struct SimulatorConfiguration: Sendable, Hashable {
    /// Host to bind (default `127.0.0.1`).
    public var host: String
    /// Port to bind; 0 asks the system for a free port (default 0).
    public var port: Int
    /// The behaviour used when a request names none (default `.analyst`).
    public var defaultBehaviour: SimulatorBehaviour
    /// Requests per minute; nil means unlimited and no request rate-limit headers (default nil).
    public var requestsPerMinute: Int?
    /// Input tokens per minute; nil means unlimited and no input-token headers (default nil).
    public var inputTokensPerMinute: Int?
    /// Output tokens per minute; nil means unlimited and no output-token headers (default nil).
    public var outputTokensPerMinute: Int?
    /// Capacity of each rate-limit bucket in seconds of refill (default 60: a burst may use a whole minute's
    /// limit, as Anthropic's token bucket allows). Smaller values enforce the limit over shorter windows, as a
    /// provider may; 1 means at most one second's share at once.
    public var burstSeconds: Double
    /// Median latency of a served response in milliseconds; 0 disables the delay (default 1500).
    public var latencyMedianMilliseconds: Double
    /// Sigma of the log-normal latency distribution (default 0.5); 0 makes every latency the median.
    public var latencySigma: Double
    /// Longest latency ever applied, in milliseconds (default 30 000).
    public var latencyMaxMilliseconds: Double
    /// Fraction of admitted requests answered with an overload error, 0…1 (default 0): HTTP 529
    /// `overloaded_error` on the Anthropic API, HTTP 503 on the OpenAI API.
    public var overloadErrorRate: Double
    /// Fraction of admitted requests answered with HTTP 500 `api_error`, 0…1 (default 0).
    public var serverErrorRate: Double
    /// Seed of the random generator behind error injection, latency and ids (default 1).
    public var seed: UInt64
    /// The API key every model request must carry (`x-api-key` or `Authorization: Bearer`); nil accepts any
    /// (default nil). Secret.
    public var apiKey: String?
    /// How many requests the in-memory request log keeps, oldest dropped first; 0 disables it (default 256).
    public var requestLogCapacity: Int
    /// Largest request body accepted, in bytes (default 4 MiB); larger bodies get 413.
    public var maxRequestBytes: Int
    /// Whether `POST /v1/messages` requires the `anthropic-version` header, as the real API does (default true).
    public var requireAnthropicVersion: Bool
    /// Keys whose string values in tool results count as evidence ids the model may cite
    /// (default `evidence_id`, `evidence_ids`, `evidenceId`, `event_id`, `eventID`, `finding_id`, `id`).
    public var evidenceKeys: [String]

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        defaultBehaviour: SimulatorBehaviour = .analyst,
        requestsPerMinute: Int? = nil,
        inputTokensPerMinute: Int? = nil,
        outputTokensPerMinute: Int? = nil,
        burstSeconds: Double = 60,
        latencyMedianMilliseconds: Double = 1500,
        latencySigma: Double = 0.5,
        latencyMaxMilliseconds: Double = 30_000,
        overloadErrorRate: Double = 0,
        serverErrorRate: Double = 0,
        seed: UInt64 = 1,
        apiKey: String? = nil,
        requestLogCapacity: Int = 256,
        maxRequestBytes: Int = 4 << 20,
        requireAnthropicVersion: Bool = true,
        evidenceKeys: [String] = ["evidence_id", "evidence_ids", "evidenceId", "event_id", "eventID", "finding_id", "id"]
    ) {
        self.host = host
        self.port = port
        self.defaultBehaviour = defaultBehaviour
        self.requestsPerMinute = requestsPerMinute
        self.inputTokensPerMinute = inputTokensPerMinute
        self.outputTokensPerMinute = outputTokensPerMinute
        self.burstSeconds = burstSeconds
        self.latencyMedianMilliseconds = latencyMedianMilliseconds
        self.latencySigma = latencySigma
        self.latencyMaxMilliseconds = latencyMaxMilliseconds
        self.overloadErrorRate = overloadErrorRate
        self.serverErrorRate = serverErrorRate
        self.seed = seed
        self.apiKey = apiKey
        self.requestLogCapacity = requestLogCapacity
        self.maxRequestBytes = maxRequestBytes
        self.requireAnthropicVersion = requireAnthropicVersion
        self.evidenceKeys = evidenceKeys
    }

    /// A configuration for tests: no latency, everything else default.
    public static var testing: SimulatorConfiguration {
        SimulatorConfiguration(latencyMedianMilliseconds: 0)
    }

    /// Checks every key.
    /// - Throws: ``SimulatorError`` with code `invalidConfiguration`, naming the first key at fault.
    public func validate() throws(SimulatorError) {
        func fail(_ message: String) -> SimulatorError { SimulatorError(.invalidConfiguration, message) }
        guard !host.isEmpty else { throw fail("host must not be empty") }
        guard (0...65_535).contains(port) else { throw fail("port must be in 0...65535") }
        for (name, limit) in [("rpm", requestsPerMinute), ("itpm", inputTokensPerMinute), ("otpm", outputTokensPerMinute)] {
            if let limit, limit <= 0 { throw fail("\(name) must be positive when set") }
        }
        guard burstSeconds.isFinite, burstSeconds > 0, burstSeconds <= 60 else { throw fail("burst seconds must be in (0, 60]") }
        guard latencyMedianMilliseconds.isFinite, latencyMedianMilliseconds >= 0 else {
            throw fail("latency median must be a finite number of milliseconds >= 0")
        }
        guard latencySigma.isFinite, latencySigma >= 0 else { throw fail("latency sigma must be finite and >= 0") }
        guard latencyMaxMilliseconds.isFinite, latencyMaxMilliseconds >= 0 else { throw fail("latency max must be finite and >= 0") }
        for (name, rate) in [("529/overload error rate", overloadErrorRate), ("500 error rate", serverErrorRate)] {
            guard rate.isFinite, (0...1).contains(rate) else { throw fail("\(name) must be in 0...1") }
        }
        guard overloadErrorRate + serverErrorRate <= 1 else { throw fail("error rates must add up to at most 1") }
        if let apiKey, apiKey.isEmpty { throw fail("api key must not be empty when set") }
        guard requestLogCapacity >= 0 else { throw fail("request log capacity must be >= 0") }
        guard maxRequestBytes > 0 else { throw fail("max request bytes must be positive") }
    }
}

extension SimulatorConfiguration: CustomStringConvertible {
    /// Every key except the API key, which shows only whether one is set.
    public var description: String {
        let limits = [requestsPerMinute, inputTokensPerMinute, outputTokensPerMinute].map { $0.map(String.init) ?? "unlimited" }
        return "SimulatorConfiguration(listen: \(host):\(port), behaviour: \(defaultBehaviour), rpm: \(limits[0]), "
            + "itpm: \(limits[1]), otpm: \(limits[2]), burst s: \(burstSeconds), "
            + "latency median ms: \(latencyMedianMilliseconds), sigma: \(latencySigma), "
            + "overload rate: \(overloadErrorRate), 500 rate: \(serverErrorRate), seed: \(seed), "
            + "api key: \(apiKey == nil ? "any" : "required"))"
    }
}

extension SimulatorConfiguration {
    /// Splits `HOST:PORT` (IPv6 hosts in brackets: `[::1]:8088`).
    /// - Throws: ``SimulatorError`` with code `invalidListenAddress`.
    public static func parseListenAddress(_ text: String) throws(SimulatorError) -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw SimulatorError(.invalidListenAddress, "--listen must be HOST:PORT with a port in 0...65535")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw SimulatorError(.invalidListenAddress, "--listen must name a host") }
        return (host, port)
    }
}
