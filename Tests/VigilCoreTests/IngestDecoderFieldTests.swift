import Foundation
import Testing

@testable import VigilCore

@Suite("IngestDecoder: fields")
struct IngestDecoderFieldTests {
    /// Changes to the valid fixture that must be rejected, with the field and code expected.
    static let rejections: [(String, [String: JSONValue?], String, IngestRejection.Code)] = [
        ("source missing", ["source": nil], "source", .missing),
        ("source null", ["source": .null], "source", .missing),
        ("source empty", ["source": ""], "source", .invalid),
        ("source number", ["source": 5], "source", .wrongType),
        ("source too long", ["source": .string(String(repeating: "s", count: 129))], "source", .tooLong),
        ("source NUL", ["source": "a\u{0}b"], "source", .invalid),
        ("source newline", ["source": "a\nb"], "source", .invalid),
        ("source DEL", ["source": "a\u{7F}b"], "source", .invalid),
        ("source zero-width", ["source": "a\u{200B}b"], "source", .invalid),
        ("source bidi override", ["source": "a\u{202E}b"], "source", .invalid),
        ("source line separator", ["source": "a\u{2028}b"], "source", .invalid),
        ("source leading space", ["source": " siem"], "source", .invalid),
        ("source trailing space", ["source": "siem "], "source", .invalid),
        ("source private use", ["source": "a\u{E000}"], "source", .invalid),
        ("external_id missing", ["external_id": nil], "external_id", .missing),
        ("external_id float", ["external_id": 1.5], "external_id", .wrongType),
        ("external_id bool", ["external_id": true], "external_id", .wrongType),
        ("external_id too long", ["external_id": .string(String(repeating: "e", count: 257))], "external_id", .tooLong),
        ("external_id empty", ["external_id": ""], "external_id", .invalid),
        ("kind missing", ["kind": nil], "kind", .missing),
        ("kind array", ["kind": ["a"]], "kind", .wrongType),
        ("severity missing", ["severity": nil], "severity", .missing),
        ("severity unknown name", ["severity": "urgent"], "severity", .invalid),
        ("severity above 10", ["severity": 11], "severity", .outOfRange),
        ("severity negative", ["severity": -1], "severity", .outOfRange),
        ("severity numeric text above 10", ["severity": "10.5"], "severity", .outOfRange),
        ("severity nan text", ["severity": "nan"], "severity", .outOfRange),
        ("severity bool", ["severity": true], "severity", .wrongType),
        ("occurred_at missing", ["occurred_at": nil], "occurred_at", .missing),
        ("occurred_at no zone", ["occurred_at": "2024-05-01T12:00:00"], "occurred_at", .invalid),
        ("occurred_at date only", ["occurred_at": "2024-05-01"], "occurred_at", .invalid),
        ("occurred_at numeric text", ["occurred_at": "1714564800"], "occurred_at", .invalid),
        ("occurred_at 1999", ["occurred_at": "1999-12-31T23:59:59Z"], "occurred_at", .outOfRange),
        ("occurred_at far future", ["occurred_at": "2024-06-02T00:00:01Z"], "occurred_at", .outOfRange),
        ("occurred_at year 9999", ["occurred_at": "9999-01-01T00:00:00Z"], "occurred_at", .outOfRange),
        ("occurred_at negative epoch", ["occurred_at": -5], "occurred_at", .outOfRange),
        ("occurred_at zero epoch", ["occurred_at": 0], "occurred_at", .outOfRange),
        ("occurred_at object", ["occurred_at": [:]], "occurred_at", .wrongType),
        ("principal number", ["principal": 7], "principal", .wrongType),
        ("principal too long", ["principal": .string(String(repeating: "p", count: 2049))], "principal", .tooLong),
        ("principal tab", ["principal": "alice\tadmin"], "principal", .invalid),
        ("resource too long", ["resource": .string(String(repeating: "r", count: 2049))], "resource", .tooLong),
        ("account short digits", ["account": "12345"], "account", .invalid),
        ("account 13 digits", ["account": "1234567890123"], "account", .invalid),
        ("account as number", ["account": 123_456_789_012], "account", .wrongType),
        ("account with space", ["account": "my project"], "account", .invalid),
        ("account with quote", ["account": "a'b"], "account", .invalid),
        ("account too long", ["account": .string(String(repeating: "a", count: 129))], "account", .tooLong),
        ("source_ip bad octet", ["source_ip": "10.0.0.256"], "source_ip", .invalid),
        ("source_ip with zone", ["source_ip": "fe80::1%eth0"], "source_ip", .invalid),
        ("source_ip with port", ["source_ip": "10.0.0.1:443"], "source_ip", .invalid),
        ("source_ip host name", ["source_ip": "ec2.amazonaws.com"], "source_ip", .invalid),
        ("source_ip as number", ["source_ip": 167_772_161], "source_ip", .wrongType),
        ("source_ip too long", ["source_ip": .string(String(repeating: "1", count: 65))], "source_ip", .tooLong),
        ("payload array", ["payload": [1, 2]], "payload", .wrongType),
        ("payload string", ["payload": "{}"], "payload", .wrongType),
        ("payload NUL in value", ["payload": ["a": ["b": "x\u{0}y"]]], "payload", .invalid),
        ("payload NUL in key", ["payload": ["a\u{0}": 1]], "payload", .invalid),
        ("payload NUL in array", ["payload": ["a": [1, "\u{0}"]]], "payload", .invalid),
        ("unknown field", ["extrenal_id": "x"], "extrenal_id", .unknownField),
        ("unknown camelCase field", ["sourceIp": "10.0.0.1"], "sourceIp", .unknownField),
    ]

    @Test("invalid fields are rejected, naming the field", arguments: rejections)
    func rejected(name: String, changes: [String: JSONValue?], field: String, code: IngestRejection.Code) throws {
        let rejection = try #require(IngestFixture.decodeOne(IngestFixture.object(changes)).rejection, "\(name)")
        #expect(rejection.field == field, "\(name)")
        #expect(rejection.code == code, "\(name): \(rejection)")
        #expect(rejection.line == 1)
    }

    @Test("rejections never echo the value", arguments: rejections)
    func noEcho(name: String, changes: [String: JSONValue?], field: String, code: IngestRejection.Code) throws {
        // Wrap every string of the bad value in a marker and look for it in everything the rejection says.
        func marked(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let text): .string("SECRET-MARKER" + text + "SECRET-MARKER")
            case .array(let items): .array(items.map(marked))
            case .object(let object): .object(JSONObject(object.members.map { .init(key: $0.key, value: marked($0.value)) }))
            default: value
            }
        }
        let markedChanges = changes.mapValues { $0.map(marked) }
        guard let rejection = IngestFixture.decodeOne(IngestFixture.object(markedChanges)).rejection else { return }
        let said = "\(rejection.field) \(rejection.reason) \(rejection.description) \(String(reflecting: rejection))"
        #expect(!said.contains("SECRET-MARKER"), "\(name)")
    }

    static let acceptedVariants: [(String, [String: JSONValue?])] = [
        ("external_id integer", ["external_id": 42]),
        ("external_id 256", ["external_id": .string(String(repeating: "e", count: 256))]),
        ("source 128 with non-ASCII", ["source": .string(String(repeating: "é", count: 128))]),
        ("source inner space", ["source": "siem prod"]),
        ("principal empty is absent", ["principal": ""]),
        ("principal null is absent", ["principal": .null]),
        ("account GCP project", ["account": "my-gcp-project-123"]),
        ("account Azure subscription", ["account": "0b1f6471-1bf0-4dda-aec3-cb9272f09590"]),
        ("account organization", ["account": "organizations/1234567"]),
        ("account absent", ["account": nil]),
        ("source_ip IPv6", ["source_ip": "2001:DB8::1"]),
        ("payload absent", ["payload": nil]),
        ("payload null", ["payload": .null]),
        ("payload empty", ["payload": [:]]),
        ("severity name any case", ["severity": "CRITICAL"]),
        ("severity info", ["severity": "info"]),
        ("severity numeric string", ["severity": "4.0"]),
        ("severity 0", ["severity": 0]),
        ("severity 10", ["severity": 10]),
        ("occurred_at epoch seconds", ["occurred_at": 1_714_564_800]),
        ("occurred_at within skew", ["occurred_at": "2024-06-01T23:00:00Z"]),
    ]

    @Test("accepted variants", arguments: acceptedVariants)
    func accepted(name: String, changes: [String: JSONValue?]) {
        #expect(IngestFixture.decodeOne(IngestFixture.object(changes)).alert != nil, "\(name)")
    }

    @Test("normalisations")
    func normalisations() throws {
        func decoded(_ changes: [String: JSONValue?]) throws -> DecodedAlert {
            try #require(IngestFixture.decodeOne(IngestFixture.object(changes)).alert)
        }
        #expect(try decoded(["external_id": 42]).alert.externalID == "42")
        #expect(try decoded(["external_id": -7]).alert.externalID == "-7")
        #expect(try decoded(["source_ip": "2001:DB8:0:0:0::1"]).alert.sourceIP == "2001:db8::1")
        #expect(try decoded(["source_ip": "::ffff:10.0.0.1"]).alert.sourceIP == "10.0.0.1")
        #expect(try decoded(["source_ip": "253.252.051.07"]).alert.sourceIP == "253.252.51.7")
        #expect(try decoded(["source_ip": "::ffff:010.000.000.001"]).alert.sourceIP == "10.0.0.1")
        #expect(try decoded(["principal": ""]).alert.principal == nil)
        #expect(try decoded(["payload": nil]).payloadJSON == "{}")
        #expect(try decoded(["payload": nil]).alert.payload == .object([:]))
        #expect(try decoded(["severity": "moderate"]).alert.severity == .medium)
        #expect(try decoded(["severity": 0.5]).alert.severity == .informational)
        #expect(try decoded(["severity": "2"]).alert.severity == .low)
        #expect(try decoded(["severity": 9]).alert.severity == .critical)
    }

    @Test(
        "occurred_at epoch numbers in seconds, milliseconds, microseconds and nanoseconds",
        arguments: [
            JSONValue.int(1_714_564_800), .double(1_714_564_800.0), .int(1_714_564_800_000), .double(1_714_564_800_000.0),
            .int(1_714_564_800_000_000), .int(1_714_564_800_000_000_000), "2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00.000Z",
        ])
    func epochUnits(value: JSONValue) throws {
        let decoded = try #require(IngestFixture.decodeOne(IngestFixture.object(["occurred_at": value])).alert)
        #expect(abs(decoded.alert.occurredAt.timeIntervalSince1970 - 1_714_564_800) < 1e-3)
    }

    @Test("unknown fields may be ignored by configuration")
    func ignoreUnknown() throws {
        let decoder = IngestFixture.decoder(.init(unknownFields: .ignore))
        let item = IngestFixture.decodeOne(IngestFixture.object(["extra": ["x": 1], "sourceIp": "1"]), decoder: decoder)
        #expect(item.alert?.alert.externalID == "gd-0001")
    }

    @Test("unknown field names are shown escaped and cut")
    func unknownFieldDisplay() throws {
        let long = String(repeating: "k", count: 100)
        let longRejection = try #require(IngestFixture.decodeOne(IngestFixture.object([long: 1])).rejection)
        #expect(longRejection.field == String(repeating: "k", count: 64) + "…")
        let odd = try #require(IngestFixture.decodeOne(IngestFixture.object(["a\u{1B}[31mb": 1])).rejection)
        #expect(odd.field == "a\\u{1b}[31mb")
    }

    @Test("the earliest occurred_at is configurable and named in the reason")
    func earliestConfigurable() throws {
        let decoder = IngestFixture.decoder(.init(earliestOccurredAt: RFC3339.parse("2024-04-01T00:00:00Z")!))
        let rejection = try #require(
            IngestFixture.decodeOne(IngestFixture.object(["occurred_at": "2024-03-31T23:59:59Z"]), decoder: decoder).rejection)
        #expect(rejection.reason == "must lie between 2024-04-01 and 24 hours from now")
        #expect(IngestFixture.decodeOne(IngestFixture.object(["occurred_at": "2024-04-01T00:00:00Z"]), decoder: decoder).alert != nil)
    }
}

@Suite("IngestDecoder: real CloudTrail events")
struct IngestDecoderCloudTrailTests {
    /// `../shared/data` beside the package root.
    static var dataFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    @Test("Stratus Red Team events wrapped as alerts: valid ones accepted, service-name source addresses rejected alone")
    func stratusEvents() throws {
        let folder = Self.dataFolder.appendingPathComponent("cloudtrail/stratus-red-team")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.count >= 35, "shared data missing at \(folder.path)")
        var lines: [String] = []
        var expectedSourceIPRejections = 0
        var zeroPadded = 0
        for file in files {
            let events = try JSONParser().parse(Array(try Data(contentsOf: folder.appendingPathComponent(file)))).arrayValue ?? []
            for event in events {
                var alert: JSONObject = [
                    "source": "cloudtrail", "kind": .string(file), "severity": "medium",
                    "external_id": event["eventID"] ?? .null, "occurred_at": event["eventTime"] ?? .null,
                    "principal": event.value(atPath: "userIdentity.arn") ?? .null,
                    "account": event["recipientAccountId"] ?? .null, "payload": event,
                ]
                if let address = event["sourceIPAddress"]?.stringValue {
                    alert["source_ip"] = .string(address)
                    if address.contains(where: \.isLetter), !address.contains(":") { expectedSourceIPRejections += 1 }
                    if address.split(separator: ".").contains(where: { $0.count > 1 && $0.first == "0" }) { zeroPadded += 1 }
                }
                lines.append(JSONValue.object(alert).jsonText)
            }
        }
        #expect(lines.count == 310)
        #expect(zeroPadded > 50, "the anonymised set writes zero-padded addresses; they must be accepted")
        let body = Array(lines.joined(separator: "\n").utf8)
        let batch = try IngestFixture.decoder().decode(body: body, contentType: "application/x-ndjson", now: Date())
        #expect(batch.items.count == 310)
        let rejections = batch.items.compactMap(\.rejection)
        #expect(rejections.allSatisfy { $0.field == "source_ip" }, "\(rejections)")
        #expect(rejections.count == expectedSourceIPRejections)
        #expect(batch.acceptedCount + batch.duplicateCount == 310 - expectedSourceIPRejections)
        #expect(batch.accepted.allSatisfy { $0.alert.alert.sourceIP.map { IPAddress($0)?.description == $0 } ?? true })
        for (_, decoded) in batch.accepted {
            #expect(try JSONParser().parse(decoded.payloadJSON) == decoded.alert.payload)
        }
    }
}
