import VigilCore

/// What the simulator served since it started or was last reset. Served at `GET /stats` as ``json``.
public struct SimulatorStats: Sendable, Hashable {
    /// Model requests by endpoint path (`/v1/messages`, `/v1/chat/completions`), then by HTTP status.
    public var requestsByEndpoint: [String: [Int: Int]] = [:]
    /// Uncached input tokens of admitted requests (the simulator's approximation: request body bytes / 4, rounded
    /// up, less any cached prefix).
    public var inputTokens = 0
    /// Cache-write input tokens of admitted requests (Anthropic prompt caching).
    public var cacheCreationInputTokens = 0
    /// Cache-read input tokens of admitted requests (Anthropic prompt caching).
    public var cacheReadInputTokens = 0
    /// Output tokens of generated replies.
    public var outputTokens = 0
    /// Replies generated (HTTP 200).
    public var served = 0
    /// Requests refused with 429, by the buckets or by a storm.
    public var rateLimited = 0
    /// Requests answered with an injected overload (529 on Anthropic, 503 on OpenAI).
    public var overloaded = 0
    /// Requests answered with an injected 500.
    public var serverErrors = 0
    /// Replies generated, by behaviour name.
    public var repliesByBehaviour: [String: Int] = [:]

    public init() {}

    /// Every model request, whatever its status.
    public var totalRequests: Int { requestsByEndpoint.values.reduce(0) { $0 + $1.values.reduce(0, +) } }

    /// Requests to one endpoint with one status.
    public func count(endpoint: String, status: Int) -> Int { requestsByEndpoint[endpoint]?[status] ?? 0 }

    mutating func record(endpoint: String, status: Int) {
        requestsByEndpoint[endpoint, default: [:]][status, default: 0] += 1
        switch status {
        case 200: served += 1
        case 429: rateLimited += 1
        case 529, 503: overloaded += 1
        case 500: serverErrors += 1
        default: break
        }
    }

    /// The statistics as JSON: `requests` (endpoint → status → count), `total_requests`, `served`, `input_tokens`,
    /// `cache_creation_input_tokens`, `cache_read_input_tokens`, `output_tokens`, `rate_limited`, `overloaded`,
    /// `server_errors`, `replies_by_behaviour` (name → count).
    public var json: JSONValue {
        let endpoints = requestsByEndpoint.keys.sorted().map { endpoint in
            let statuses = requestsByEndpoint[endpoint]!.sorted { $0.key < $1.key }
            return JSONObject.Member(
                key: endpoint,
                value: .object(JSONObject(statuses.map { JSONObject.Member(key: String($0.key), value: .int(Int64($0.value))) }))
            )
        }
        let behaviours = repliesByBehaviour.sorted { $0.key < $1.key }.map { JSONObject.Member(key: $0.key, value: .int(Int64($0.value))) }
        return [
            "requests": .object(JSONObject(endpoints)),
            "total_requests": .int(Int64(totalRequests)),
            "served": .int(Int64(served)),
            "input_tokens": .int(Int64(inputTokens)),
            "cache_creation_input_tokens": .int(Int64(cacheCreationInputTokens)),
            "cache_read_input_tokens": .int(Int64(cacheReadInputTokens)),
            "output_tokens": .int(Int64(outputTokens)),
            "rate_limited": .int(Int64(rateLimited)),
            "overloaded": .int(Int64(overloaded)),
            "server_errors": .int(Int64(serverErrors)),
            "replies_by_behaviour": .object(JSONObject(behaviours)),
        ]
    }
}
