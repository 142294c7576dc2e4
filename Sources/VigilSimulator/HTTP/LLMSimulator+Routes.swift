import Foundation
import HTTPTypes
import Hummingbird
import VigilCore

extension LLMSimulator {
    static let behaviourHeader = HTTPField.Name("x-sim-behaviour")!

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
        outcome.body = String(decoding: buffer.readableBytesView, as: UTF8.self)
        // The documented approximation: one input token per 4 bytes of request body, rounded up.
        outcome.inputTokens = max(1, (buffer.readableBytes + 3) / 4)

        if !isAuthorized(request.headers) {
            outcome.rejection = RequestRejection(kind: .authentication, message: "invalid x-api-key")
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
        let (admission, injected, latency, ids) = withState { state in
            let admission = state.limiter.admit(inputTokens: outcome.inputTokens, at: now)
            guard case .admitted = admission else { return (admission, RequestRejection?.none, 0.0, ReplyIDs?.none) }
            let draw = state.random.unit()
            var injected: RequestRejection?
            if draw < configuration.overloadErrorRate {
                injected = RequestRejection(kind: .overloaded, message: "Overloaded")
            } else if draw < configuration.overloadErrorRate + configuration.serverErrorRate {
                injected = RequestRejection(kind: .serverError, message: "Internal server error")
            }
            let latency = LatencyDistribution(
                medianMilliseconds: configuration.latencyMedianMilliseconds,
                sigma: configuration.latencySigma,
                maxMilliseconds: configuration.latencyMaxMilliseconds
            ).sample(using: &state.random)
            return (admission, injected, latency, makeIDs(api, &state.random))
        }
        if case .refused(let seconds, let reason) = admission {
            outcome.rejection = RequestRejection(kind: .rateLimited, message: "rate limit: \(reason)", retryAfterSeconds: seconds)
            outcome.admitted = false
            return finish(outcome)
        }
        outcome.admitted = true
        if latency > 0 { try await Task.sleep(for: .milliseconds(latency)) }
        if let injected {
            outcome.rejection = injected
            return finish(outcome)
        }
        let apiModel = SimulatedModel(evidenceKeys: configuration.evidenceKeys, supportsPause: api == .anthropic)
        let reply = apiModel.reply(to: conversation, behaviour: behaviour).limited(to: conversation.maxTokens)
        let outputTokens = reply.stop == .maxTokens ? conversation.maxTokens : reply.outputTokens
        outcome.outputTokens = outputTokens
        outcome.reply = api.encode(reply, model: conversation.model, ids: ids!, inputTokens: outcome.inputTokens, outputTokens: outputTokens)
        return finish(outcome)
    }

    /// Everything known about one request when it is answered.
    private struct Outcome {
        var api: SimulatedAPI
        var body = ""
        var inputTokens = 0
        var outputTokens = 0
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
            if outcome.reply != nil { state.limiter.chargeOutput(outcome.outputTokens, at: now) }
            state.stats.record(endpoint: outcome.api.path, status: status)
            if outcome.admitted { state.stats.inputTokens += outcome.inputTokens }
            if let behaviour = outcome.behaviour, outcome.reply != nil {
                state.stats.outputTokens += outcome.outputTokens
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
                        inputTokens: outcome.inputTokens,
                        outputTokens: outcome.reply == nil ? 0 : outcome.outputTokens,
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
