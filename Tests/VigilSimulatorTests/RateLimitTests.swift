import Foundation
import NIOHTTP1
import Testing
import VigilCore

@testable import VigilSimulator

@Suite("Rate limits, injected errors and statistics over a live socket", .serialized)
struct RateLimitTests {
    @Test("RPM: remaining falls with each request, then 429 with retry-after", arguments: SimulatedAPI.allCases)
    func requestsPerMinute(api: SimulatedAPI) async throws {
        // 5 per minute refills one request every 12 s: far longer than this test runs.
        try await LLMSimulator.withRunning(.init(requestsPerMinute: 5, latencyMedianMilliseconds: 0)) { sim in
            let client = SimulatorTestClient(sim)
            let remainingHeader = api == .anthropic ? "anthropic-ratelimit-requests-remaining" : "x-ratelimit-remaining-requests"
            let limitHeader = api == .anthropic ? "anthropic-ratelimit-requests-limit" : "x-ratelimit-limit-requests"
            var remaining: [Int] = []
            for _ in 0..<5 {
                let reply = try await client.post(api.path, firstRequest(api, alert: sampleAlert))
                #expect(reply.status == 200)
                #expect(reply.intHeader(limitHeader) == 5)
                remaining.append(try #require(reply.intHeader(remainingHeader)))
            }
            #expect(remaining == [4, 3, 2, 1, 0])
            let refused = try await client.post(api.path, firstRequest(api, alert: sampleAlert))
            #expect(refused.status == 429)
            let retryAfter = try #require(refused.intHeader("retry-after"))
            #expect((1...12).contains(retryAfter))
            #expect(refused.intHeader(remainingHeader) == 0)
            switch api {
            case .anthropic:
                #expect(refused.json.value(atPath: "error.type")?.stringValue == "rate_limit_error")
                let reset = try #require(refused.header("anthropic-ratelimit-requests-reset"))
                let date = try Date(reset, strategy: .iso8601)
                #expect(date > Date().addingTimeInterval(30) && date < Date().addingTimeInterval(70), "reset \(reset)")
            case .openAI:
                #expect(refused.json.value(atPath: "error.code")?.stringValue == "rate_limit_exceeded")
                #expect(refused.header("x-ratelimit-reset-requests")?.hasSuffix("s") == true)
            }
            let stats = sim.simulator.stats()
            #expect(stats.served == 5)
            #expect(stats.rateLimited == 1)
            #expect(stats.count(endpoint: api.path, status: 429) == 1)
        }
    }

    @Test("headers appear only for configured limits")
    func headersOnlyWhenConfigured() async throws {
        try await LLMSimulator.withRunning { sim in
            let reply = try await SimulatorTestClient(sim).post("/v1/messages", firstRequest(.anthropic, alert: sampleAlert))
            #expect(!reply.headers.contains { $0.name.lowercased().hasPrefix("anthropic-ratelimit") })
        }
        try await LLMSimulator.withRunning(.init(inputTokensPerMinute: 100_000, latencyMedianMilliseconds: 0)) { sim in
            let reply = try await SimulatorTestClient(sim).post("/v1/messages", firstRequest(.anthropic, alert: sampleAlert))
            #expect(reply.intHeader("anthropic-ratelimit-input-tokens-limit") == 100_000)
            let used = try #require(reply.json.value(atPath: "usage.input_tokens")?.intValue)
            // The bucket refills continuously (1,667 tokens a second) between admission and the header.
            let remaining = try #require(reply.intHeader("anthropic-ratelimit-input-tokens-remaining"))
            #expect((100_000 - Int(used)...100_000 - Int(used) + 1_667).contains(remaining))
            #expect(reply.intHeader("anthropic-ratelimit-tokens-limit") == 100_000)
            #expect(reply.header("anthropic-ratelimit-requests-limit") == nil)
            #expect(reply.header("anthropic-ratelimit-output-tokens-limit") == nil)
        }
    }

    @Test("ITPM: a request larger than the per-minute limit is refused; smaller ones drain the bucket")
    func inputTokensPerMinute() async throws {
        let request = firstRequest(.anthropic, alert: sampleAlert)
        let tokens = (request.jsonText.utf8.count + 3) / 4
        try await LLMSimulator.withRunning(.init(inputTokensPerMinute: 3 * tokens + tokens / 2, latencyMedianMilliseconds: 0)) { sim in
            let client = SimulatorTestClient(sim)
            let huge = try await client.post("/v1/messages", firstRequest(.anthropic, alert: String(repeating: "a", count: 16 * tokens)))
            #expect(huge.status == 429)
            #expect(huge.intHeader("retry-after") == 60)
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await client.post("/v1/messages", request).status) }
            #expect(statuses == [200, 200, 200, 429])
        }
    }

    @Test("ITPM does not count cache reads")
    func cacheReadsAreFree() async throws {
        guard case .object(var body) = firstRequest(.anthropic, alert: sampleAlert) else { return }
        body["system"] = [["type": "text", "text": .string(String(repeating: "Policy. ", count: 200)), "cache_control": ["type": "ephemeral"]]]
        let total = (JSONValue.object(body).jsonText.utf8.count + 3) / 4
        let cached = ((body["tools"]?.jsonText ?? "").utf8.count + (body["system"]?.jsonText ?? "").utf8.count + 3) / 4
        // Room for one full request and 1.25 uncached remainders: a cache write, a cache read, then 429.
        let limit = total + (total - cached) * 5 / 4
        try await LLMSimulator.withRunning(.init(inputTokensPerMinute: limit, latencyMedianMilliseconds: 0)) { sim in
            var statuses: [Int] = []
            for _ in 0..<3 { statuses.append(try await SimulatorTestClient(sim).post("/v1/messages", .object(body)).status) }
            #expect(statuses == [200, 200, 429])
            #expect(sim.simulator.stats().cacheReadInputTokens == cached)
        }
    }

    @Test("OTPM: output is charged as generated and refuses once exhausted")
    func outputTokensPerMinute() async throws {
        var configuration = SimulatorConfiguration(outputTokensPerMinute: 60, latencyMedianMilliseconds: 0)
        configuration.defaultBehaviour = .exceedMaxTokens
        try await LLMSimulator.withRunning(configuration) { sim in
            let client = SimulatorTestClient(sim)
            let first = try await client.post("/v1/messages", firstRequest(.anthropic, alert: sampleAlert, maxTokens: 100))
            #expect(first.status == 200)
            #expect(first.json.value(atPath: "usage.output_tokens")?.intValue == 100)
            #expect(first.intHeader("anthropic-ratelimit-output-tokens-remaining") == 0)
            let second = try await client.post("/v1/messages", firstRequest(.anthropic, alert: sampleAlert, maxTokens: 100))
            #expect(second.status == 429)
            // 40 tokens of debt plus one, at one token per second (less whatever refilled between the requests).
            #expect((35...42).contains(second.intHeader("retry-after") ?? 0))
        }
    }

    @Test("a storm refuses every request for its length; reset ends it")
    func storm() async throws {
        try await LLMSimulator.withRunning { sim in
            let client = SimulatorTestClient(sim)
            let started = try await client.send(.POST, "/admin/storm?seconds=30")
            #expect(started.status == 200)
            for api in SimulatedAPI.allCases {
                let refused = try await client.post(api.path, firstRequest(api, alert: sampleAlert))
                #expect(refused.status == 429)
                #expect((29...30).contains(refused.intHeader("retry-after") ?? 0))
            }
            #expect(try await client.send(.POST, "/admin/storm").status == 400)
            #expect(try await client.send(.POST, "/admin/reset").status == 200)
            #expect(sim.simulator.stats().totalRequests == 0)
            #expect(try await client.post("/v1/messages", firstRequest(.anthropic, alert: sampleAlert)).status == 200)
        }
    }

    @Test("forced failures answer the next requests in order, then replies resume", arguments: SimulatedAPI.allCases)
    func forcedFailures(api: SimulatedAPI) async throws {
        try await LLMSimulator.withRunning(.init(requestsPerMinute: 10, latencyMedianMilliseconds: 0)) { sim in
            let client = SimulatorTestClient(sim)
            #expect(try await client.send(.POST, "/admin/fail?status=529&count=2").status == 200)
            #expect(try await client.send(.POST, "/admin/fail?status=429&retry_after=7").status == 200)
            #expect(try await client.send(.POST, "/admin/fail?status=418").status == 400)
            sim.simulator.injectFailures(.serverError, count: 1)
            var statuses: [Int] = []
            var retryAfter: [String?] = []
            for _ in 0..<5 {
                let reply = try await client.post(api.path, firstRequest(api, alert: sampleAlert))
                statuses.append(reply.status)
                retryAfter.append(reply.header("retry-after"))
            }
            let overload = api == .anthropic ? 529 : 503
            #expect(statuses == [overload, overload, 429, 500, 200])
            #expect(retryAfter[2] == "7")
            // Forced failures take nothing from the buckets: one request of ten used.
            let remaining = api == .anthropic ? "anthropic-ratelimit-requests-remaining" : "x-ratelimit-remaining-requests"
            #expect(try await client.post(api.path, firstRequest(api, alert: sampleAlert)).intHeader(remaining) == 8)
        }
    }

    @Test("x-sim-latency-ms replaces the sampled latency for one request")
    func latencyHeader() async throws {
        try await LLMSimulator.withRunning { sim in
            let start = ContinuousClock.now
            let reply = try await SimulatorTestClient(sim).post(
                "/v1/messages",
                firstRequest(.anthropic, alert: sampleAlert),
                headers: [("x-sim-latency-ms", "250")]
            )
            #expect(reply.status == 200)
            #expect(ContinuousClock.now - start >= .milliseconds(250))
        }
    }

    @Test("errors injected at rate 1.0 are overloads (529 / 503) and 500s", arguments: SimulatedAPI.allCases)
    func injectedErrors(api: SimulatedAPI) async throws {
        try await LLMSimulator.withRunning(.init(latencyMedianMilliseconds: 0, overloadErrorRate: 1)) { sim in
            let reply = try await SimulatorTestClient(sim).post(api.path, firstRequest(api, alert: sampleAlert))
            switch api {
            case .anthropic:
                #expect(reply.status == 529)
                #expect(reply.json.value(atPath: "error.type")?.stringValue == "overloaded_error")
            case .openAI:
                #expect(reply.status == 503)
                #expect(reply.json.value(atPath: "error.type")?.stringValue == "server_error")
            }
            #expect(sim.simulator.stats().overloaded == 1)
        }
        try await LLMSimulator.withRunning(.init(latencyMedianMilliseconds: 0, serverErrorRate: 1)) { sim in
            let reply = try await SimulatorTestClient(sim).post(api.path, firstRequest(api, alert: sampleAlert))
            #expect(reply.status == 500)
            #expect(reply.json.value(atPath: "error.type")?.stringValue == (api == .anthropic ? "api_error" : "server_error"))
            #expect(sim.simulator.stats().serverErrors == 1)
        }
    }

    @Test("error injection follows the seed: same seed, same sequence; rate near the configured one")
    func seededInjection() async throws {
        func statuses(seed: UInt64) async throws -> [Int] {
            try await LLMSimulator.withRunning(.init(latencyMedianMilliseconds: 0, overloadErrorRate: 0.3, serverErrorRate: 0.2, seed: seed)) { sim in
                var out: [Int] = []
                for _ in 0..<60 {
                    out.append(try await SimulatorTestClient(sim).post("/v1/messages", firstRequest(.anthropic, alert: sampleAlert)).status)
                }
                return out
            }
        }
        let a = try await statuses(seed: 7)
        let b = try await statuses(seed: 7)
        #expect(a == b)
        #expect((8...30).contains(a.count(where: { $0 == 529 })))
        #expect((3...22).contains(a.count(where: { $0 == 500 })))
        #expect(a.contains(200))
    }

    @Test("stats count requests by endpoint and status, tokens and behaviours")
    func stats() async throws {
        try await LLMSimulator.withRunning(.init(requestsPerMinute: 3, latencyMedianMilliseconds: 0)) { sim in
            let client = SimulatorTestClient(sim)
            var output: Int64 = 0
            output += try #require(
                try await client.post("/v1/messages", firstRequest(.anthropic, alert: sampleAlert)).json.value(atPath: "usage.output_tokens")?
                    .intValue
            )
            output += try #require(
                try await client.post("/v1/chat/completions", firstRequest(.openAI, alert: sampleAlert), headers: [("x-sim-behaviour", "refuse")])
                    .json.value(atPath: "usage.completion_tokens")?.intValue
            )
            _ = try await client.post("/v1/messages", ["model": "m"])
            _ = try await client.post("/v1/messages", firstRequest(.anthropic, alert: sampleAlert))
            _ = try await client.post("/v1/messages", firstRequest(.anthropic, alert: sampleAlert))
            let json = try await client.get("/stats")
            #expect(json.value(atPath: "requests")?["/v1/messages"]?["200"]?.intValue == 2)
            #expect(json.value(atPath: "requests")?["/v1/messages"]?["400"]?.intValue == 1)
            #expect(json.value(atPath: "requests")?["/v1/messages"]?["429"]?.intValue == 1)
            #expect(json.value(atPath: "requests")?["/v1/chat/completions"]?["200"]?.intValue == 1)
            #expect(json["total_requests"]?.intValue == 5)
            #expect(json["served"]?.intValue == 3)
            #expect(json["rate_limited"]?.intValue == 1)
            #expect(json.value(atPath: "replies_by_behaviour")?["analyst"]?.intValue == 2)
            #expect(json.value(atPath: "replies_by_behaviour")?["refuse"]?.intValue == 1)
            #expect((json["output_tokens"]?.intValue ?? 0) > output)
            #expect((json["input_tokens"]?.intValue ?? 0) > 0)
        }
    }

    @Test("latency: with sigma 0 every reply waits at least the median")
    func latencyFloor() async throws {
        try await LLMSimulator.withRunning(.init(latencyMedianMilliseconds: 150, latencySigma: 0)) { sim in
            let start = ContinuousClock.now
            _ = try await SimulatorTestClient(sim).post("/v1/messages", firstRequest(.anthropic, alert: sampleAlert))
            #expect(ContinuousClock.now - start >= .milliseconds(150))
        }
    }
}

@Suite("Rate-limit arithmetic")
struct RateLimitArithmeticTests {
    @Test("a bucket refills continuously at limit/60 per second, up to capacity")
    func bucketRefill() {
        var bucket = TokenBucket(perMinute: 60, now: 0)
        bucket.take(60)
        #expect(bucket.remaining == 0)
        bucket.refill(at: 10)
        #expect(bucket.remaining == 10)
        #expect(bucket.secondsUntilAvailable(15) == 5)
        #expect(bucket.secondsUntilFull == 50)
        bucket.refill(at: 1000)
        #expect(bucket.remaining == 60)
        #expect(bucket.secondsUntilAvailable(61).isInfinite)
    }

    @Test("admission takes a request and input tokens; output charged later may go into debt")
    func limiter() {
        var limiter = SimulatorRateLimiter(requestsPerMinute: 2, inputTokensPerMinute: 1000, outputTokensPerMinute: 120, now: 0)
        #expect(limiter.admit(inputTokens: 400, at: 0) == .admitted)
        limiter.chargeOutput(200, at: 0)
        #expect(limiter.snapshot(at: 0).outputTokens?.remaining == 0)
        // Output is 80 in debt at 2 tokens/s: 41 s until one token.
        #expect(limiter.admit(inputTokens: 100, at: 0) == .refused(retryAfterSeconds: 41, reason: "exceeded output tokens per minute"))
        #expect(limiter.admit(inputTokens: 100, at: 41) == .admitted)
        limiter.chargeOutput(10, at: 41)
        // Requests: 1 left after the refill to 2. Output: 2 - 10 = -8, 4.5 s from one token.
        #expect(limiter.admit(inputTokens: 100, at: 41) == .refused(retryAfterSeconds: 5, reason: "exceeded output tokens per minute"))
        #expect(limiter.admit(inputTokens: 100, at: 46) == .admitted)
        #expect(limiter.admit(inputTokens: 100, at: 46) == .refused(retryAfterSeconds: 25, reason: "exceeded requests per minute"))
        limiter.startStorm(seconds: 10, at: 50)
        #expect(limiter.admit(inputTokens: 1, at: 55) == .refused(retryAfterSeconds: 5, reason: "rate limit storm in progress"))
        #expect(limiter.snapshot(at: 55).requests?.remaining == 0)
        limiter.reset(at: 56)
        #expect(limiter.admit(inputTokens: 1, at: 56) == .admitted)
    }

    @Test("a short burst window caps the bucket at that window's refill, while headers report the per-minute limit")
    func burstWindow() {
        var limiter = SimulatorRateLimiter(requestsPerMinute: 600, inputTokensPerMinute: nil, outputTokensPerMinute: nil, burstSeconds: 1, now: 0)
        var admitted = 0
        while case .admitted = limiter.admit(inputTokens: 1, at: 0) { admitted += 1 }
        #expect(admitted == 10)
        #expect(limiter.snapshot(at: 0).requests?.limit == 600)
        #expect(limiter.admit(inputTokens: 1, at: 0.1) == .admitted)
        #expect(limiter.admit(inputTokens: 1, at: 0.1) == .refused(retryAfterSeconds: 1, reason: "exceeded requests per minute"))
    }

    @Test("the log-normal latency has the configured median", arguments: [0.0, 0.5, 1.0])
    func latencyMedian(sigma: Double) {
        var generator = SeededRandomGenerator(seed: 42)
        let distribution = LatencyDistribution(medianMilliseconds: 1500, sigma: sigma, maxMilliseconds: 1e9)
        let samples = (0..<4001).map { _ in distribution.sample(using: &generator) }.sorted()
        #expect(abs(samples[2000] - 1500) / 1500 < 0.06, "median \(samples[2000])")
        #expect(LatencyDistribution(medianMilliseconds: 0, sigma: 1, maxMilliseconds: 10).sample(using: &generator) == 0)
    }

    @Test("OpenAI reset durations", arguments: [(0.0, "0s"), (0.0123, "13ms"), (8.5, "8.5s"), (60.0, "1m0s"), (90.25, "1m30.25s")])
    func openAIDuration(seconds: Double, text: String) {
        #expect(LLMSimulator.openAIDuration(seconds) == text)
    }
}
