import Foundation
import HTTPTypes
import Hummingbird
import VigilCore

extension LLMSimulator {
    static let behaviourHeader = HTTPField.Name("x-sim-behaviour")!
    static let anthropicVersionHeader = HTTPField.Name("anthropic-version")!
    static let latencyHeader = HTTPField.Name("x-sim-latency-ms")!

    /// Tokens of a text by the simulator's approximation: bytes / 4, rounded up, at least 1.
    static func tokens(bytes: Int) -> Int { max(1, (bytes + 3) / 4) }

    /// The input side of a request's usage: `total` tokens, of which a cacheable prefix is a cache read when it is
    /// cached now and a cache write otherwise. At least one token stays uncached input.
    static func usage(total: Int, prefix: String?, cache: PromptCache, at now: Double) -> TokenUsage {
        guard let prefix else { return TokenUsage(input: total) }
        let cached = min(tokens(bytes: prefix.utf8.count), total - 1)
        return cache.contains(prefix, at: now)
            ? TokenUsage(input: total - cached, cacheRead: cached) : TokenUsage(input: total - cached, cacheCreation: cached)
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        for api in SimulatedAPI.allCases {
            router.post(RouterPath(api.path)) { request, _ in try await self.serve(api, request: request) }
        }
        router.get("/stats") { _, _ in Self.json(self.stats().json) }
        router.get("/requests") { _, _ in Self.json(.array(self.requestLog().map(\.json))) }
        router.get("/health") { _, _ in Self.json(["status": "ok"]) }
        router.post("/admin/reset") { _, _ in
            self.reset()
            return Self.json(["reset": true])
        }
        router.post("/admin/storm") { request, _ in
            guard let seconds = request.uri.queryParameters.get("seconds", as: Double.self), seconds.isFinite, seconds >= 0 else {
                return Self.json(["error": "query parameter seconds: required, a number >= 0"], status: .badRequest)
            }
            self.startStorm(seconds: seconds)
            return Self.json(["storm_seconds": .double(seconds)])
        }
        router.post("/admin/fail") { request, _ in
            let query = request.uri.queryParameters
            let count = query.get("count", as: Int.self) ?? 1
            let failure: InjectedFailure? =
                switch query.get("status", as: Int.self) {
                case 429: .rateLimited(retryAfterSeconds: max(1, query.get("retry_after", as: Int.self) ?? 1))
                case 500: .serverError
                case 529, 503: .overloaded
                default: nil
                }
            guard let failure, (0...10_000).contains(count) else {
                return Self.json(["error": "query parameters: status 429, 500 or 529; count 0...10000"], status: .badRequest)
            }
            self.injectFailures(failure, count: count)
            return Self.json(["injected": .int(Int64(count))])
        }
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.jsonText)))
    }

    /// One model request, end to end: size, key, body, behaviour, rate limit, injected errors, reply, latency.
    private func serve(_ api: SimulatedAPI, request: Request) async throws -> Response {
        var request = request
        var outcome = Outcome(api: api)
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: configuration.maxRequestBytes)
        } catch {
            outcome.rejection = RequestRejection(kind: .tooLarge, message: "request body exceeds \(configuration.maxRequestBytes) bytes")
            return finish(outcome)
        }
        if configuration.requestLogCapacity > 0 { outcome.body = String(decoding: buffer.readableBytesView, as: UTF8.self) }
        // The documented approximation: one input token per 4 bytes of request body, rounded up.
        outcome.usage.input = Self.tokens(bytes: buffer.readableBytes)

        if !isAuthorized(request.headers) {
            outcome.rejection = RequestRejection(kind: .authentication, message: "invalid x-api-key")
            return finish(outcome)
        }
        if api == .anthropic, configuration.requireAnthropicVersion, request.headers[Self.anthropicVersionHeader] == nil {
            outcome.rejection = .invalid("anthropic-version: header is required")
            return finish(outcome)
        }
        let conversation: SimulatedConversation
        let behaviour: SimulatorBehaviour
        do throws(RequestRejection) {
            let body: JSONValue
            do {
                body = try JSONParser().parse(buffer.readableBytesView)
            } catch {
                throw .invalid("request body is not valid JSON: \(error)")
            }
            conversation = try api.decode(body)
            behaviour = try resolveBehaviour(request.headers, conversation)
        } catch {
            outcome.rejection = error
            return finish(outcome)
        }
        outcome.behaviour = behaviour

        // Admission and error injection, under the lock; the reply is generated outside it.
        let now = self.now
        let latencyOverride = request.headers[Self.latencyHeader].flatMap(Double.init).map { min(max(0, $0), 600_000) }
        let admitted = withState { state -> Admission in
            let usage = Self.usage(total: outcome.usage.input, prefix: conversation.cacheablePrefix, cache: state.promptCache, at: now)
            if !state.forcedFailures.isEmpty {
                let rejection: RequestRejection =
                    switch state.forcedFailures.removeFirst() {
                    case .rateLimited(let seconds):
                        RequestRejection(kind: .rateLimited, message: "rate limit: injected", retryAfterSeconds: seconds)
                    case .overloaded: RequestRejection(kind: .overloaded, message: "Overloaded")
                    case .serverError: RequestRejection(kind: .serverError, message: "Internal server error")
                    }
                return Admission(decision: .admitted, usage: usage, injected: rejection, latency: latencyOverride ?? 0, forced: true)
            }
            let admission = state.limiter.admit(inputTokens: usage.rateLimitedInput, at: now)
            guard case .admitted = admission else { return Admission(decision: admission, usage: usage) }
            if let prefix = conversation.cacheablePrefix { state.promptCache.access(prefix, at: now) }
            let draw = state.random.unit()
            var injected: RequestRejection?
            if draw < configuration.overloadErrorRate {
                injected = RequestRejection(kind: .overloaded, message: "Overloaded")
            } else if draw < configuration.overloadErrorRate + configuration.serverErrorRate {
                injected = RequestRejection(kind: .serverError, message: "Internal server error")
            }
            let sampled = LatencyDistribution(
                medianMilliseconds: configuration.latencyMedianMilliseconds,
                sigma: configuration.latencySigma,
                maxMilliseconds: configuration.latencyMaxMilliseconds
            ).sample(using: &state.random)
            return Admission(
                decision: admission,
                usage: usage,
                injected: injected,
                latency: latencyOverride ?? sampled,
                ids: makeIDs(api, &state.random)
            )
        }
        if case .refused(let seconds, let reason) = admitted.decision {
            outcome.rejection = RequestRejection(kind: .rateLimited, message: "rate limit: \(reason)", retryAfterSeconds: seconds)
            outcome.admitted = false
            return finish(outcome)
        }
        outcome.admitted = !admitted.forced
        outcome.usage = admitted.usage
        if admitted.latency > 0 { try await Task.sleep(for: .milliseconds(admitted.latency)) }
        if let injected = admitted.injected {
            outcome.rejection = injected
            return finish(outcome)
        }
        let apiModel = SimulatedModel(evidenceKeys: configuration.evidenceKeys, supportsPause: api == .anthropic)
        let reply = apiModel.reply(to: conversation, behaviour: behaviour).limited(to: conversation.maxTokens)
        outcome.usage.output = reply.stop == .maxTokens ? conversation.maxTokens : reply.outputTokens
        outcome.reply = api.encode(reply, model: conversation.model, ids: admitted.ids!, usage: outcome.usage)
        return finish(outcome)
    }

    /// The decision taken under the lock for one request.
    private struct Admission {
        var decision: SimulatorRateLimiter.Decision
        var usage: TokenUsage
        var injected: RequestRejection? = nil
        var latency = 0.0
        /// Present when a reply may be generated.
        var ids: ReplyIDs? = nil
        /// A failure forced by `/admin/fail`: nothing was taken from the buckets.
        var forced = false
    }

    /// Everything known about one request when it is answered.
    private struct Outcome {
        var api: SimulatedAPI
        var body = ""
        /// Before the body is read: the whole body as input.
        var usage = TokenUsage()
        var behaviour: SimulatorBehaviour?
        var admitted = false
        var rejection: RequestRejection?
        var reply: JSONValue?
    }

    /// Charges output, records statistics and the log, and writes the response with rate-limit headers.
    private func finish(_ outcome: Outcome) -> Response {
        let now = self.now
        let requestID: String
        let status: Int
        let body: JSONValue
        let snapshot: SimulatorRateLimiter.Snapshot
        (requestID, status, body, snapshot) = withState { state in
            let requestID = "req_" + state.random.base62(24)
            let status: Int
            let body: JSONValue
            if let reply = outcome.reply {
                (status, body) = (200, reply)
            } else {
                (status, body) = outcome.api.encode(
                    outcome.rejection ?? RequestRejection(kind: .serverError, message: "no reply"),
                    requestID: requestID
                )
            }
            if outcome.reply != nil { state.limiter.chargeOutput(outcome.usage.output, at: now) }
            state.stats.record(endpoint: outcome.api.path, status: status)
            if outcome.admitted {
                state.stats.inputTokens += outcome.usage.input
                state.stats.cacheCreationInputTokens += outcome.usage.cacheCreation
                state.stats.cacheReadInputTokens += outcome.usage.cacheRead
            }
            if let behaviour = outcome.behaviour, outcome.reply != nil {
                state.stats.outputTokens += outcome.usage.output
                state.stats.repliesByBehaviour[behaviour.name, default: 0] += 1
            }
            state.sequence += 1
            if configuration.requestLogCapacity > 0 {
                state.log.append(
                    SimulatorRequestLogEntry(
                        sequence: state.sequence,
                        endpoint: outcome.api.path,
                        status: status,
                        behaviour: outcome.behaviour?.description,
                        inputTokens: outcome.usage.input,
                        outputTokens: outcome.reply == nil ? 0 : outcome.usage.output,
                        body: outcome.body
                    )
                )
                if state.log.count > configuration.requestLogCapacity { state.log.removeFirst(state.log.count - configuration.requestLogCapacity) }
            }
            return (requestID, status, body, state.limiter.snapshot(at: now))
        }
        var headers = rateLimitHeaders(outcome.api, snapshot)
        headers[outcome.api == .anthropic ? HTTPField.Name("request-id")! : HTTPField.Name("x-request-id")!] = requestID
        if let seconds = outcome.rejection?.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        logger.debug(
            "llm-sim request",
            metadata: ["endpoint": "\(outcome.api.path)", "status": "\(status)", "behaviour": "\(outcome.behaviour?.description ?? "-")"]
        )
        return Self.json(body, status: HTTPResponse.Status(code: status, reasonPhrase: status == 529 ? "Overloaded" : ""), headers: headers)
    }

    private func makeIDs(_ api: SimulatedAPI, _ random: inout SeededRandomGenerator) -> ReplyIDs {
        let created = Int64(Date().timeIntervalSince1970)
        switch api {
        case .anthropic:
            return ReplyIDs(message: "msg_" + random.base62(24), toolCalls: (0..<8).map { _ in "toolu_" + random.base62(24) }, created: created)
        case .openAI:
            return ReplyIDs(message: "chatcmpl-" + random.base62(24), toolCalls: (0..<8).map { _ in "call_" + random.base62(24) }, created: created)
        }
    }

    /// True when no key is configured, or the request carries it in `x-api-key` or `Authorization: Bearer`.
    private func isAuthorized(_ headers: HTTPFields) -> Bool {
        guard let expected = configuration.apiKey else { return true }
        var offered: [String] = headers[values: HTTPField.Name("x-api-key")!]
        for value in headers[values: .authorization] where value.lowercased().hasPrefix("bearer ") {
            offered.append(String(value.dropFirst(7)))
        }
        return offered.contains { Self.constantTimeEqual($0, expected) }
    }

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return difference == 0
    }

    /// The header `x-sim-behaviour`, else a `vigil-sim-behaviour:` marker in the conversation, else the default.
    private func resolveBehaviour(_ headers: HTTPFields, _ conversation: SimulatedConversation) throws(RequestRejection) -> SimulatorBehaviour {
        let named = headers[Self.behaviourHeader] ?? conversation.markerTexts.lazy.compactMap(TextInspector.behaviourMarker).first
        guard let named else { return configuration.defaultBehaviour }
        do {
            return try SimulatorBehaviour(name: named)
        } catch {
            throw .invalid("x-sim-behaviour / vigil-sim-behaviour: \(error.message)")
        }
    }
}
