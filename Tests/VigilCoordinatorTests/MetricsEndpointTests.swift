import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilCore

/// The coordinator's `/metrics`: Prometheus text with the cluster's backlog per shard, read from the database.
@Suite struct MetricsEndpointTests {
    @Test func metricsShowTheBacklogPerShardAndTheDatabase() async throws {
        try await CoordinatorHarness.with { harness in
            let body = ["m-1", "m-2", "m-3"].map { alertLine($0) }.joined(separator: "\n")
            try await harness.coordinator.application().test(.router) { client in
                let ingest = try await client.execute(
                    uri: "/v1/alerts", method: .post, headers: harness.headers(token: harness.ingestToken), body: ByteBuffer(string: body))
                #expect(ingest.status == .ok)
                let response = try await client.execute(uri: "/metrics", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                let backlog = text.split(separator: "\n").filter { $0.hasPrefix("\(MetricName.backlog){") }
                let total = backlog.compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
                #expect(total == 3, "three ready jobs, spread over their shards")
                #expect(backlog.allSatisfy { $0.contains("state=\"ready\"") && $0.contains("shard=\"") })
                #expect(text.contains("# TYPE \(MetricName.queueEvents) counter"))
                #expect(text.contains("\(MetricName.databaseUp) 1"))
                #expect(text.contains("\(MetricName.webhookPending) 0"))
                #expect(!text.contains("CreateRole"), "counts only, never alert data")
            }
        }
    }
}
