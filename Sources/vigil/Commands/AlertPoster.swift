import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import VigilCore

/// Posts alerts as NDJSON to a coordinator's `/v1/alerts`, retrying on 429, 503 (honouring Retry-After) and
/// connection failures. Shared by `vigil ingest` and the reports' `--emit`.
struct AlertPoster {
    var url: String
    /// Bearer token with the ingest scope (secret).
    var bearer: String
    var maxAttempts: Int
    let client: HTTPClient

    /// Posts one batch of alert lines; returns the coordinator's response body (status 200 or 422).
    ///
    /// - Parameter label: names the batch in errors (`file:line`), never its content.
    func post(_ lines: [String], label: String) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/v1/alerts")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-ndjson")
        request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
        let text = lines.joined(separator: "\n")
        var delay = 0.5
        for attempt in 1...maxAttempts {
            request.body = .bytes(ByteBuffer(string: text))
            do {
                let response = try await client.execute(request, timeout: .seconds(120))
                let body = try await response.body.collect(upTo: 64 << 20)
                let status = response.status.code
                if status == 429 || status == 503 {
                    let wait = response.headers.first(name: "Retry-After").flatMap(Double.init) ?? delay
                    try await Task.sleep(for: .seconds(min(wait, 60)))
                    delay = min(delay * 2, 30)
                    continue
                }
                let json = try? JSONParser().parse(body.readableBytesView)
                if status == 200 || status == 422, let json { return json }
                let reason = json?["reason"]?.stringValue ?? "HTTP \(status)"
                throw ValidationError("the coordinator refused the batch starting at \(label): \(reason)")
            } catch let error as HTTPClientError where attempt < maxAttempts {
                _ = error
                try await Task.sleep(for: .seconds(delay))
                delay = min(delay * 2, 30)
            }
        }
        throw ValidationError("gave up on the batch starting at \(label) after \(maxAttempts) attempts")
    }
}
