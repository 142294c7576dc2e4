import Foundation
import Testing
import VigilCore

@testable import VigilSimulator

/// The analyst against real CloudTrail records (Stratus Red Team detonations, `../shared/data`).
@Suite("Analyst on real CloudTrail events")
struct SharedDataTests {
    static let dataRoot: URL = {
        // Tests/VigilSimulatorTests/SharedDataTests.swift → package root → ../shared/data
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data")
    }()

    static func stratusEvents() throws -> [JSONValue] {
        let folder = dataRoot.appendingPathComponent("cloudtrail/stratus-red-team")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        return try files.flatMap { name -> [JSONValue] in
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            return try JSONParser().parse(data).arrayValue ?? []
        }
    }

    @Test("the first turn looks up the event's own principal and source address")
    func firstTurnUsesTheEventsEntities() throws {
        let events = try Self.stratusEvents()
        try #require(events.count >= 300, "shared data missing at \(Self.dataRoot.path)")
        let model = SimulatedModel(evidenceKeys: SimulatorConfiguration().evidenceKeys, supportsPause: true)
        var checkedPrincipals = 0
        var checkedAddresses = 0
        for event in events {
            let conversation = SimulatedConversation(
                model: "m",
                system: "",
                messages: [.init(role: .user, parts: [.text(event.jsonText)])],
                toolNames: agentTools,
                maxTokens: 1024
            )
            var arguments: [String: JSONObject] = [:]
            var replies = [model.reply(to: conversation, behaviour: .analyst)]
            // Answer the first round with nothing so the second round (address, account) is asked for too.
            var next = conversation
            next.messages.append(
                .init(
                    role: .assistant,
                    parts: replies[0].toolCalls.enumerated().map {
                        .toolCall(id: "t\($0.offset)", name: $0.element.name, arguments: $0.element.arguments)
                    }
                )
            )
            next.messages.append(
                .init(
                    role: .user,
                    parts: replies[0].toolCalls.indices.map {
                        .toolResult(toolCallID: "t\($0)", text: "{}", isError: false)
                    }
                )
            )
            replies.append(model.reply(to: next, behaviour: .analyst))
            for call in replies.flatMap(\.toolCalls) {
                if case .json(.object(let object)) = call.arguments { arguments[call.name] = object }
            }
            if let arn = event.value(atPath: "userIdentity.arn")?.stringValue {
                #expect(arguments["get_cloudtrail_events"]?["principal_arn"]?.stringValue == arn)
                #expect(arguments["get_iam_principal_history"]?["principal_arn"]?.stringValue == arn)
                checkedPrincipals += 1
            }
            if let address = event["sourceIPAddress"]?.stringValue, address.contains(/^\d+\.\d+\.\d+\.\d+$/),
                event.jsonText.matches(of: /\d+\.\d+\.\d+\.\d+/).count == 1
            {
                #expect(arguments["lookup_ip_reputation"]?["ip_address"]?.stringValue == address)
                checkedAddresses += 1
            }
        }
        #expect(checkedPrincipals > 250)
        #expect(checkedAddresses > 100)
    }
}
