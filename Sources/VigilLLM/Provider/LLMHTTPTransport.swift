import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import VigilCore

/// POSTs JSON bodies over AsyncHTTPClient and returns the status, headers and body of the answer.
public struct LLMHTTPTransport: Sendable {
    /// One HTTP answer.
    public struct Reply: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: ByteBuffer
        /// The wall-clock time the answer arrived, for header resets given as times.
        public var receivedAt: Date
        /// From handing the request to the HTTP client until the whole body had arrived.
        public var wireDuration: Duration

        public func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    public let client: HTTPClient

    /// - Parameter client: the client to use (default ``sharedClient``).
    public init(client: HTTPClient = LLMHTTPTransport.sharedClient) {
        self.client = client
    }

    /// The process's client for model APIs: like AsyncHTTPClient's shared client (never shut down), but with up to
    /// 256 connections per host instead of 8, since every call of every agent of a worker goes to one host and a
    /// model call holds its connection for seconds.
    public static var sharedClient: HTTPClient { processClient }

    /// Sends one POST.
    /// - Throws: ``LLMProviderError`` `.timeout`, `.transport` or `.cancelled` when no answer arrived; the detail names
    ///   the underlying error, never the body or headers.
    public func post(
        url: String,
        headers: [(name: String, value: String)],
        body: String,
        timeout: Duration,
        maxResponseBytes: Int,
        provider: String
    ) async throws(LLMProviderError) -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(string: body))
        let milliseconds = max(1, Int64(Double(timeout.components.seconds) * 1000 + Double(timeout.components.attoseconds) / 1e15))
        do {
            let sent = ContinuousClock.now
            let response = try await client.execute(request, timeout: .milliseconds(milliseconds))
            let bytes = try await response.body.collect(upTo: maxResponseBytes)
            let wire = sent.duration(to: .now)
            return Reply(
                status: Int(response.status.code),
                headers: response.headers.map { (name: $0.name, value: $0.value) },
                body: bytes,
                receivedAt: Date(),
                wireDuration: wire
            )
        } catch is CancellationError {
            throw LLMProviderError(.cancelled, provider: provider)
        } catch let error as HTTPClientError {
            // No connection within the connect timeout means the provider is unreachable (a transport failure, so the
            // alert is `ai_unavailable`); a timeout once connected means a slow answer.
            let timeouts: [HTTPClientError] = [.deadlineExceeded, .readTimeout, .writeTimeout]
            throw LLMProviderError(timeouts.contains(error) ? .timeout : .transport, provider: provider, detail: String(describing: error))
        } catch {
            if Task.isCancelled { throw LLMProviderError(.cancelled, provider: provider) }
            throw LLMProviderError(.transport, provider: provider, detail: String(describing: type(of: error)))
        }
    }
}

private let processClient: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
    // A refused or failed connection fails the call at once: LLMClient retries with backoff and feeds the circuit
    // breaker, which AsyncHTTPClient's own silent reconnect loop (until the connect timeout) would hide.
    configuration.connectionPool.retryConnectionEstablishment = false
    configuration.timeout.connect = .seconds(5)
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
}()

extension LLMHTTPTransport {
    /// How a provider's answers differ: its name, its rate-limit headers, its request-id header and its body.
    struct Dialect {
        let provider: String
        let rateLimit: ([(name: String, value: String)], Date) -> RateLimitHeaders
        let requestIDHeader: String
        let decode: (JSONValue) throws(LLMProviderError) -> LLMResponse
    }

    /// Posts a prepared request and reads the answer the way both APIs share: a non-200 becomes an
    /// ``LLMProviderError`` carrying the status, the provider's error type and the rate-limit headers;
    /// a 200 is decoded by the dialect, with the request id and rate-limit headers attached.
    func exchange(
        _ request: PreparedLLMRequest,
        headers: [(name: String, value: String)],
        configuration: LLMProviderConfiguration,
        timeout: Duration,
        dialect: Dialect
    ) async throws(LLMProviderError) -> LLMResponse {
        let reply = try await post(
            url: configuration.endpoint,
            headers: headers + request.extraHeaders,
            body: request.body,
            timeout: min(timeout, configuration.requestTimeout),
            maxResponseBytes: configuration.maxResponseBytes,
            provider: dialect.provider
        )
        let rateLimit = dialect.rateLimit(reply.headers, reply.receivedAt)
        let json = try? JSONParser().parse(reply.body.readableBytesView)
        guard reply.status == 200 else {
            throw LLMProviderError(
                LLMProviderError.code(forStatus: reply.status),
                provider: dialect.provider,
                status: reply.status,
                errorType: json?.value(atPath: "error.type")?.stringValue,
                retryAfter: rateLimit.retryAfter,
                rateLimit: rateLimit,
                detail: json?.value(atPath: "error.message")?.stringValue ?? ""
            )
        }
        guard let json else { throw LLMProviderError(.invalidResponse, provider: dialect.provider, status: 200, detail: "body is not JSON") }
        do throws(LLMProviderError) {
            var response = try dialect.decode(json)
            response.requestID = reply.header(dialect.requestIDHeader)
            response.rateLimit = rateLimit
            response.wireDuration = reply.wireDuration
            return response
        } catch {
            var error = error
            error.rateLimit = rateLimit
            throw error
        }
    }
}
