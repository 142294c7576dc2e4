import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilCoordinator
import VigilCore

/// Hostile ingest bodies against a coordinator listening on a real socket (DESIGN invariant 8).
///
/// Every body is answered within a timeout, with a 4xx and a JSON error naming what is wrong, or with 200 and a
/// per-item result that rejects each bad item; no body gets a 5xx; valid items of mixed batches are committed; no
/// answer echoes the hostile content; and the server still answers `/healthz` afterwards. Deterministic: the
/// bodies come from a seeded generator (`VIGIL_FUZZ_SEED`, default 20261127); `VIGIL_FUZZ_BODIES` sets the count
/// (default 10,000).
@Suite("Coordinator ingest fuzzing", .serialized)
struct IngestFuzzTests {
    static var bodies: Int { ProcessInfo.processInfo.environment["VIGIL_FUZZ_BODIES"].flatMap(Int.init) ?? 10_000 }
    static var seed: UInt64 { ProcessInfo.processInfo.environment["VIGIL_FUZZ_SEED"].flatMap(UInt64.init) ?? 20_261_127 }

    @Test("generated malformed and hostile bodies: all answered 4xx or per-item rejections, none 5xx, valid items kept")
    func hostileBodies() async throws {
        try await CoordinatorHarness.with({ configuration in
            configuration.maxBodyBytes = 1 << 20
            configuration.ingest.maxItems = 100
            configuration.ingest.maxPayloadBytes = 64 << 10
        }) { harness in
            try await Self.hostileBodies(harness)
        }
    }

    static func hostileBodies(_ harness: CoordinatorHarness) async throws {
        let started = ContinuousClock.now
        let token = harness.ingestToken
        let run = try await harness.coordinator.application().test(.live) { client in
            var run = FuzzRun()
            var generator = HostileBodyGenerator(seed: Self.seed)
            for index in 0..<Self.bodies {
                let body = generator.next(index: index)
                let headers = Self.headers(token: token, contentType: body.contentType)
                let response = try await Self.withTimeout(.seconds(15), "body \(index) (\(body.category))") {
                    try await client.execute(uri: "/v1/alerts", method: .post, headers: headers, body: ByteBuffer(bytes: body.bytes))
                }
                run.tally[body.category, default: [:]][Int(response.status.code), default: 0] += 1
                if let problem = Self.problem(with: response, for: body) {
                    run.failures.append("body \(index) (\(body.category)): \(problem)")
                }
                run.expectedKept += body.validIDs.count
            }
            run.healthAfter = try await client.execute(uri: "/healthz", method: .get).status == .ok
            return run
        }
        let tally = run.tally
        let failures = run.failures
        let expectedKept = run.expectedKept
        #expect(run.healthAfter, "the coordinator still answers after the fuzzing")
        let elapsed = started.duration(to: .now)
        print("ingest fuzz: \(Self.bodies) bodies, seed \(Self.seed), \(elapsed); status by category: \(tally.sorted { $0.key < $1.key })")
        #expect(failures.isEmpty, "\(failures.count) bad answers, first: \(failures.prefix(5))")
        // Every category was generated, and every valid item of every mixed batch is in the database.
        #expect(tally.count == HostileBodyGenerator.categories.count)
        let kept = try await harness.pool.query("SELECT count(*) AS n FROM alert WHERE external_id LIKE 'keep-%'")[0]
            .decode(Int.self, column: "n")
        #expect(kept == expectedKept, "valid items of mixed batches committed")
        #expect(expectedKept > 0)
    }

    @Test("the coordinator's skimming decode (payload text only) answers every generated body exactly as the parser path")
    func skimmingMatchesParsing() throws {
        var configuration = IngestDecoder.Configuration()
        configuration.maxItems = 100
        configuration.maxPayloadBytes = 64 << 10
        let decoder = try IngestDecoder(configuration: configuration)
        let now = Date()
        var generator = HostileBodyGenerator(seed: Self.seed)
        var compared = 0
        var acceptedItems = 0
        for index in 0..<Self.bodies {
            let body = generator.next(index: index)
            func run(_ form: IngestDecoder.PayloadForm) -> Result<[IngestBatch.Item], IngestError> {
                Result { () throws(IngestError) -> [IngestBatch.Item] in
                    try decoder.decode(body: body.bytes, contentType: body.contentType, now: now, payload: form).items
                }
            }
            // The parser path's payload values blanked: the one difference the skimming path is allowed.
            let parsed = run(.value).map { items in
                items.map { item -> IngestBatch.Item in
                    guard case .accepted(var decoded) = item else { return item }
                    decoded.alert.payload = .null
                    return .accepted(decoded)
                }
            }
            let skimmed = run(.textOnly)
            #expect(parsed == skimmed, "body \(index) (\(body.category))")
            compared += 1
            acceptedItems += ((try? skimmed.get()) ?? []).count { if case .accepted = $0 { true } else { false } }
        }
        #expect(compared == Self.bodies && acceptedItems > 0)
    }

    /// The bearer token, and the content type unless it is nil (then the header is left out).
    static func headers(token: String, contentType: String?) -> HTTPFields {
        var fields: HTTPFields = [.authorization: "Bearer \(token)"]
        if let contentType { fields[.contentType] = contentType }
        return fields
    }

    /// What is wrong with an answer, or nil when it is what the contract promises.
    static func problem(with response: TestResponse, for body: HostileBody) -> String? {
        let status = Int(response.status.code)
        let text = String(buffer: response.body)
        if text.contains(HostileBodyGenerator.marker) { return "the answer echoes request content" }
        guard let json = try? JSONParser().parse(response.body.readableBytesView) else { return "status \(status), body not JSON" }
        switch status {
        case 200, 422:
            guard let results = json["results"]?.arrayValue else { return "status \(status) without results" }
            let rejected = results.filter { $0["status"]?.stringValue == "rejected" }
            for item in rejected where (item["error"]?["reason"]?.stringValue ?? "").isEmpty {
                return "a rejected item without a reason"
            }
            let statuses = results.map { $0["status"]?.stringValue ?? "" }
            if status == 422, statuses.contains(where: { $0 != "rejected" }) { return "422 with items kept" }
            if body.mustReject, rejected.isEmpty { return "status \(status): a hostile body was accepted whole" }
            // The valid items of a mixed batch come back accepted.
            for index in body.validIndexes where index >= results.count || results[index]["status"]?.stringValue != "accepted" {
                return "valid item \(index) not accepted"
            }
            return nil
        case 400..<500:
            if !body.validIDs.isEmpty { return "status \(status): a mixed batch was refused whole" }
            guard let code = json["error"]?.stringValue, !code.isEmpty, let reason = json["reason"]?.stringValue, !reason.isEmpty else {
                return "status \(status) without error and reason"
            }
            return nil
        default:
            return "status \(status): \(text.prefix(200))"
        }
    }

    /// Runs `body`, failing with a message naming `what` when it takes longer than `limit` (a hang).
    static func withTimeout<T: Sendable>(_ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw HarnessError("no answer within \(limit) to \(what)")
            }
            return value
        }
    }
}

/// What one fuzzing run saw.
struct FuzzRun: Sendable {
    /// Answers by category and status.
    var tally: [String: [Int: Int]] = [:]
    var failures: [String] = []
    /// Valid items sent in mixed batches, all of which must be committed.
    var expectedKept = 0
    var healthAfter = false
}

/// One generated request body.
struct HostileBody: Sendable {
    var category: String
    var bytes: [UInt8]
    /// nil: no Content-Type header at all.
    var contentType: String?
    /// External ids of the valid items in a mixed batch (all `keep-…`), which must be committed.
    var validIDs: [String] = []
    /// Their indexes in the body.
    var validIndexes: [Int] = []
    /// Whether at least one item must be rejected (or the whole body refused).
    var mustReject = true
}

/// Deterministic hostile bodies, one category after the other.
struct HostileBodyGenerator {
    static let marker = "HOSTILE-MARKER"
    static let categories = [
        "truncated-json", "wrong-types", "huge-strings", "deep-nesting", "invalid-utf8", "nul-bytes", "duplicate-keys",
        "oversized-batch", "bad-content-type", "ndjson-broken-lines", "mutated", "mixed-array",
    ]
    static let stringFields = ["source", "external_id", "kind", "severity", "occurred_at", "principal", "resource", "account", "source_ip"]

    var rng: SplitMix64
    private var serial = 0

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
    mutating func chance(_ percent: Int) -> Bool { int(0..<100) < percent }

    mutating func uniqueID(_ prefix: String) -> String {
        serial += 1
        return "\(prefix)-\(serial)"
    }

    /// A valid alert object's fields, as JSON text per field (so a test can break one).
    mutating func fields(id: String) -> [(String, String)] {
        [
            ("source", #""fuzz""#), ("external_id", "\"\(id)\""), ("kind", #""cloudtrail""#),
            ("severity", ["\"low\"", "\"high\"", "7.5", "\"critical\""][int(0..<4)]),
            ("occurred_at", #""2026-11-26T10:00:00Z""#), ("principal", "\"arn:aws:iam::123456789012:user/u\(int(0..<50))\""),
            ("payload", #"{"eventName":"CreateRole","note":"\#(Self.marker)"}"#),
        ]
    }

    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    mutating func validObject(_ prefix: String = "x") -> String { Self.object(fields(id: uniqueID(prefix))) }

    mutating func next(index: Int) -> HostileBody {
        let category = Self.categories[index % Self.categories.count]
        switch category {
        case "truncated-json": return truncated()
        case "wrong-types": return wrongTypes()
        case "huge-strings": return hugeStrings()
        case "deep-nesting": return deepNesting()
        case "invalid-utf8": return invalidUTF8()
        case "nul-bytes": return nulBytes()
        case "duplicate-keys": return duplicateKeys()
        case "oversized-batch": return oversized()
        case "bad-content-type": return badContentType()
        case "ndjson-broken-lines": return brokenLines()
        case "mutated": return mutated()
        default: return mixedArray()
        }
    }

    private mutating func truncated() -> HostileBody {
        let items = (0..<int(1..<6)).map { _ in validObject() }
        let text = Array(("[" + items.joined(separator: ",") + "]").utf8)
        let cut = int(1..<(text.count - 1))
        return HostileBody(category: "truncated-json", bytes: Array(text[..<cut]), contentType: "application/json")
    }

    private mutating func wrongTypes() -> HostileBody {
        var fields = fields(id: uniqueID("x"))
        let wrong = ["123", "-1.5e308", "true", "false", "[]", "[\"a\"]", "{}", #"{"a":1}"#, "\"\"", "1e999"]
        let target = int(0..<fields.count)
        var value = wrong[int(0..<wrong.count)]
        // An empty string is "absent" for an optional field: give the principal a type it refuses instead.
        if fields[target].0 == "principal", value == "\"\"" { value = "[]" }
        // Numbers are valid for external_id (integers) and severity (0–10); give those a type they refuse.
        if ["external_id", "severity"].contains(fields[target].0), !value.hasPrefix("[") && !value.hasPrefix("{") { value = "[1]" }
        if fields[target].0 == "payload", value.hasPrefix("{") { value = "\"not an object\"" }
        fields[target].1 = value
        return HostileBody(category: "wrong-types", bytes: Array(Self.object(fields).utf8), contentType: "application/x-ndjson")
    }

    private mutating func hugeStrings() -> HostileBody {
        var fields = fields(id: uniqueID("x"))
        let targets = ["source", "external_id", "kind", "principal", "resource", "account", "payload"]
        let target = targets[int(0..<targets.count)]
        let length = [300, 2_100, 70_000, 300_000][int(0..<4)]
        let huge = String(repeating: "A", count: length) + Self.marker
        if target == "payload" {
            // Over maxPayloadBytes (64 KiB here).
            fields.removeAll { $0.0 == "payload" }
            fields.append(("payload", "{\"blob\":\"\(String(repeating: "B", count: max(length, 70_000)))\"}"))
        } else {
            fields.removeAll { $0.0 == target }
            // source/kind allow 128, external_id 256, principal/resource 2,048: every length here is over at least
            // the short limits; the 300-character one can pass only as principal/resource, so lengthen it there.
            let text = (target == "principal" || target == "resource") && length < 2_100 ? String(repeating: "A", count: 2_100) + Self.marker : huge
            fields.append((target, "\"\(text)\""))
        }
        return HostileBody(category: "huge-strings", bytes: Array(Self.object(fields).utf8), contentType: "application/x-ndjson")
    }

    private mutating func deepNesting() -> HostileBody {
        let depth = [33, 40, 129, 1_000, 50_000][int(0..<5)]
        let open = chance(50) ? "[" : "{\"a\":"
        let close = open == "[" ? "]" : "}"
        let nested = String(repeating: open, count: depth) + "1" + String(repeating: close, count: chance(70) ? depth : depth / 2)
        var fields = fields(id: uniqueID("x"))
        fields.removeAll { $0.0 == "payload" }
        fields.append(("payload", "{\"deep\":\(nested)}"))
        let ndjson = chance(50)
        let text = ndjson ? Self.object(fields) : "[" + Self.object(fields) + "]"
        return HostileBody(category: "deep-nesting", bytes: Array(text.utf8), contentType: ndjson ? "application/x-ndjson" : "application/json")
    }

    private mutating func invalidUTF8() -> HostileBody {
        var bytes = Array(validObject().utf8)
        let bad: [[UInt8]] = [[0xFF], [0xC3], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80]]
        // Inside a string value: after the opening quote of the source or external id.
        let quotes = bytes.indices.filter { bytes[$0] == 0x22 }
        let position = quotes[[0, 2, 4, 6][int(0..<4)]] + 1
        bytes.insert(contentsOf: bad[int(0..<bad.count)], at: position)
        return HostileBody(category: "invalid-utf8", bytes: bytes, contentType: chance(50) ? "application/x-ndjson" : "application/json")
    }

    private mutating func nulBytes() -> HostileBody {
        var fields = fields(id: uniqueID("x"))
        switch int(0..<3) {
        case 0:
            fields[1].1 = "\"\(uniqueID("x"))\\u0000\""
        case 1:
            fields.removeAll { $0.0 == "payload" }
            fields.append(("payload", #"{"a":"x\u0000y"}"#))
        default:
            var bytes = Array(Self.object(fields).utf8)
            bytes.insert(0x00, at: int(1..<bytes.count))
            return HostileBody(category: "nul-bytes", bytes: bytes, contentType: "application/x-ndjson")
        }
        return HostileBody(category: "nul-bytes", bytes: Array(Self.object(fields).utf8), contentType: "application/x-ndjson")
    }

    private mutating func duplicateKeys() -> HostileBody {
        var fields = fields(id: uniqueID("x"))
        if chance(50) {
            let copy = fields[int(0..<fields.count)]
            fields.insert((copy.0, copy.0 == "payload" ? "{}" : "\"other\""), at: int(0..<fields.count))
        } else {
            fields.removeAll { $0.0 == "payload" }
            fields.append(("payload", #"{"user":"alice","user":"root"}"#))
        }
        return HostileBody(category: "duplicate-keys", bytes: Array(Self.object(fields).utf8), contentType: "application/x-ndjson")
    }

    private mutating func oversized() -> HostileBody {
        if chance(50) {
            // More items than maxItems (100 here): refused whole with 413.
            let items = (0..<int(101..<160)).map { _ in validObject() }
            return HostileBody(category: "oversized-batch", bytes: Array(items.joined(separator: "\n").utf8), contentType: "application/x-ndjson")
        }
        // A body over maxBodyBytes (1 MiB here).
        let filler = String(repeating: "C", count: 1 << 20)
        return HostileBody(category: "oversized-batch", bytes: Array("[{\"payload\":\"\(filler)\"}]".utf8), contentType: "application/json")
    }

    private mutating func badContentType() -> HostileBody {
        let types: [String?] = [
            nil, "text/plain", "application/xml", "application/json; charset=latin1", "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded", "", "application/jsonx", "*/*", "application/ndjson; charset=utf-16",
        ]
        return HostileBody(category: "bad-content-type", bytes: Array(validObject().utf8), contentType: types[int(0..<types.count)])
    }

    /// 3–11 items, about half of them valid (`keep-…`, recorded in `body`) and the rest from `bad`; never all valid.
    private mutating func mixedItems(into body: inout HostileBody, bad: (inout Self) -> String) -> [String] {
        var items: [String] = []
        for _ in 0..<int(3..<12) {
            if chance(50) {
                let id = uniqueID("keep")
                body.validIndexes.append(items.count)
                body.validIDs.append(id)
                items.append(Self.object(fields(id: id)))
            } else {
                items.append(bad(&self))
            }
        }
        if body.validIDs.count == items.count { items.append("{\"source\":1}") }
        return items
    }

    private mutating func brokenLines() -> HostileBody {
        var body = HostileBody(category: "ndjson-broken-lines", bytes: [], contentType: "application/x-ndjson")
        let broken = ["{", "}", "[1,2]", "null", "\"just a string\"", "{\"source\":", "{\"a\":1}}", "42", "{\"source\":\"s\",}", "tru"]
        var lines = mixedItems(into: &body) { generator in broken[generator.int(0..<broken.count)] }
        // Blank lines do not count as items, so a leading one leaves the indexes as they are.
        if chance(30) { lines.insert("", at: 0) }
        body.bytes = Array(lines.joined(separator: chance(50) ? "\n" : "\r\n").utf8)
        return body
    }

    private mutating func mutated() -> HostileBody {
        var bytes = Array((0..<int(1..<5)).map { _ in validObject() }.joined(separator: "\n").utf8)
        let alphabet: [UInt8] = Array("{}[]\",:\\ \n0a-.".utf8) + [0x00, 0xFF, 0xC3, 0x80]
        for _ in 0..<int(1..<8) {
            let position = int(0..<(bytes.count + 1))
            switch int(0..<3) {
            case 0: bytes.insert(alphabet[int(0..<alphabet.count)], at: position)
            case 1: if position < bytes.count { bytes.remove(at: position) }
            default: if position < bytes.count { bytes[position] = alphabet[int(0..<alphabet.count)] }
            }
        }
        // Damage may leave every item valid: this category must only never get a 5xx or hang.
        return HostileBody(category: "mutated", bytes: bytes, contentType: chance(50) ? "application/x-ndjson" : "application/json", mustReject: false)
    }

    private mutating func mixedArray() -> HostileBody {
        var body = HostileBody(category: "mixed-array", bytes: [], contentType: "application/json")
        let bad: [(String, String)] = [
            ("severity", "\"apocalyptic\""), ("occurred_at", "\"yesterday\""), ("source_ip", "\"999.1.1.1\""), ("account", "\"12345\""),
            ("principal", "\"a\\u202Eb\""), ("extra_field", "1"), ("source", "\"\""),
        ]
        let items = mixedItems(into: &body) { generator in
            var fields = generator.fields(id: generator.uniqueID("x"))
            let breakage = bad[generator.int(0..<bad.count)]
            fields.removeAll { $0.0 == breakage.0 }
            fields.append(breakage)
            return Self.object(fields)
        }
        body.bytes = Array(("[" + items.joined(separator: ",\n") + "]").utf8)
        return body
    }
}
