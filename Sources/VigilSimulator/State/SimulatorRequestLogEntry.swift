import VigilCore

/// One model request as the simulator received it, for tests that check what reached the provider (for example
/// that no secret did). Request headers are never kept, so the API key never appears here.
public struct SimulatorRequestLogEntry: Sendable, Hashable, CustomStringConvertible {
    /// 1 for the first request since start or reset.
    public var sequence: Int
    /// The endpoint path.
    public var endpoint: String
    /// The HTTP status answered.
    public var status: Int
    /// The behaviour that answered, when the request got that far.
    public var behaviour: String?
    public var inputTokens: Int
    public var outputTokens: Int
    /// The request body as received (UTF-8, invalid bytes replaced). Untrusted: only in `debugDescription` and
    /// ``json``.
    public var body: String

    /// Served at `GET /requests`.
    public var json: JSONValue {
        [
            "sequence": .int(Int64(sequence)),
            "endpoint": .string(endpoint),
            "status": .int(Int64(status)),
            "behaviour": behaviour.map { .string($0) } ?? .null,
            "input_tokens": .int(Int64(inputTokens)),
            "output_tokens": .int(Int64(outputTokens)),
            "body": .string(body),
        ]
    }

    public var description: String { "request #\(sequence) \(endpoint) → \(status)" }
}
