import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import VigilCore

/// Posts alerts as NDJSON to a coordinator's `/v1/alerts`. Shared by `vigil ingest` and the reports' `--emit`.
///
/// Retries, with exponential backoff and jitter (0.5 s doubling to 30 s), on 429, 502, 503 and 504 (waiting at
/// least the `Retry-After` the coordinator sent) and on any transport failure: refused or reset connections,
/// timeouts. Retrying never double-counts: the coordinator deduplicates by `source` + `external_id`, so alerts
/// a lost response had already committed come back as `duplicate` with their first id.
struct AlertPoster {
    var url: String
    /// Bearer token with the ingest scope (secret).
    var bearer: String
    var maxAttempts: Int
    let client: HTTPClient
    /// How long one request may take before it is abandoned and retried.
    var requestTimeout: TimeAmount = .seconds(120)

    /// Statuses that mean "not now": the batch is sent again.
    static let retryableStatuses: Set<UInt> = [429, 502, 503, 504]

    /// Posts one batch of alert lines; returns the coordinator's response body (status 200 or 422).
    ///
    /// - Parameter label: names the batch in errors (`file:line`), never its content.
    /// - Throws: `ValidationError` when the coordinator refuses the batch (4xx other than 429) or every attempt failed.
    func post(_ lines: [String], label: String) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/v1/alerts")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-ndjson")
        request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
        let text = lines.joined(separator: "\n")
        var backoff = 0.5
        var lastProblem = "no attempt made"
        for attempt in 1...maxAttempts {
            request.body = .bytes(ByteBuffer(string: text))
            var retryAfter: Double?
            do {
                let response = try await client.execute(request, timeout: requestTimeout)
                let body = try await response.body.collect(upTo: 64 << 20)
                let status = response.status.code
                if Self.retryableStatuses.contains(status) {
                    retryAfter = response.headers.first(name: "Retry-After").flatMap(Double.init)
                    lastProblem = "HTTP \(status)"
                } else {
                    let json = try? JSONParser().parse(body.readableBytesView)
                    if status == 200 || status == 422, let json { return json }
                    let reason = json?["reason"]?.stringValue ?? "HTTP \(status)"
                    throw ValidationError("the coordinator refused the batch starting at \(label): \(reason)")
                }
            } catch let error as ValidationError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // Connection refused or reset, timeouts, a body cut short: the coordinator may be restarting.
                lastProblem = "\(type(of: error))"
            }
            guard attempt < maxAttempts else { break }
            try await Task.sleep(for: .seconds(Self.delay(backoff: backoff, retryAfter: retryAfter)))
            backoff = min(backoff * 2, 30)
        }
        throw ValidationError("gave up on the batch starting at \(label) after \(maxAttempts) attempts (last: \(lastProblem))")
    }

    /// The wait before the next attempt: the backoff with ±25% jitter, never less than `Retry-After`, at most 60 s.
    static func delay(backoff: Double, retryAfter: Double?) -> Double {
        let jittered = backoff * Double.random(in: 0.75...1.25)
        return min(max(jittered, retryAfter ?? 0), 60)
    }
}
