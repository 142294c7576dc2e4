import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import VigilCore

@testable import VigilSimulator

/// The same application, driven in process through Hummingbird's router test framework (no socket).
@Suite("In-process application")
struct InProcessTests {
    @Test("a first turn through the router, then its statistics")
    func routerFramework() async throws {
        let simulator = try LLMSimulator(configuration: .testing)
        try await simulator.makeApplication().test(.router) { client in
            let body = ByteBuffer(string: firstRequest(.anthropic, alert: sampleAlert).jsonText)
            try await client.execute(
                uri: "/v1/messages",
                method: .post,
                headers: [.contentType: "application/json", HTTPField.Name("anthropic-version")!: "2023-06-01"],
                body: body
            ) { response in
                #expect(response.status == .ok)
                let json = try JSONParser().parse(response.body.readableBytesView)
                #expect(json["stop_reason"]?.stringValue == "tool_use")
            }
            try await client.execute(uri: "/stats", method: .get) { response in
                let json = try JSONParser().parse(response.body.readableBytesView)
                #expect(json["served"]?.intValue == 1)
            }
        }
        #expect(simulator.stats().repliesByBehaviour == ["analyst": 1])
    }
}
