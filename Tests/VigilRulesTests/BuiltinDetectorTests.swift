import Foundation
import Testing
import VigilCore

@testable import VigilRules

@Suite struct BuiltinDetectorTests {
    private func iamCall(_ name: String, by principal: String, at time: String, id: String) -> JSONValue {
        event("""
            {"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"\(name)","eventTime":"\(time)","eventID":"\(id)",
             "userIdentity":{"type":"IAMUser","arn":"\(principal)"}}
            """)
    }

    @Test func iamPersistenceCallIsFlaggedWhenNewForThePrincipal() {
        var detectors = BuiltinDetectors(configuration: .init(iamBaselineWindow: 86_400))
        func run(_ e: JSONValue) -> [String] {
            detectors.observe(e, time: EventTime.of(e)!.seconds).map(\.ruleID)
        }
        let alice = "arn:aws:iam::1:user/alice"
        #expect(run(iamCall("CreateUser", by: alice, at: "2024-01-01T00:00:00Z", id: "1")) == ["vigil-builtin-iam-persistence-new-call"])
        #expect(run(iamCall("CreateUser", by: alice, at: "2024-01-01T05:00:00Z", id: "2")).isEmpty, "seen within the baseline")
        #expect(run(iamCall("AttachRolePolicy", by: alice, at: "2024-01-01T06:00:00Z", id: "3")).count == 1, "another call is new")
        #expect(run(iamCall("CreateUser", by: "arn:aws:iam::1:user/bob", at: "2024-01-01T06:00:00Z", id: "4")).count == 1)
        #expect(run(iamCall("CreateUser", by: alice, at: "2024-01-03T06:00:00Z", id: "5")).count == 1, "baseline expired")
        #expect(run(iamCall("ListUsers", by: alice, at: "2024-01-03T06:00:00Z", id: "6")).isEmpty)
    }

    private func login(_ user: String, _ ip: String, at minute: Int, failed: Bool) -> JSONValue {
        event("""
            {"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin",
             "eventTime":"2024-01-01T00:\(String(format: "%02d", minute)):00Z","eventID":"l\(minute)","sourceIPAddress":"\(ip)",
             "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/\(user)"},
             "responseElements":{"ConsoleLogin":"\(failed ? "Failure" : "Success")"}}
            """)
    }

    @Test func moreThanTenFailuresInTheWindowIsABurst() {
        var detectors = BuiltinDetectors()
        var bursts: [Int] = []
        for minute in 0..<12 {
            let e = login("alice", "1.2.3.4", at: minute, failed: true)
            if detectors.observe(e, time: EventTime.of(e)!.seconds).contains(where: { $0.ruleID == "vigil-builtin-auth-failure-burst" }) {
                bursts.append(minute)
            }
        }
        #expect(bursts == [10], "the 11th failure is the first that is more than 10")
    }

    @Test func loginFromANewNetworkAfterTheBaselineIsUnusual() {
        var detectors = BuiltinDetectors(configuration: .init(locationBaseline: 3))
        func unusual(_ e: JSONValue) -> Bool {
            detectors.observe(e, time: EventTime.of(e)!.seconds).contains { $0.ruleID == "vigil-builtin-auth-unusual-location" }
        }
        #expect(!unusual(login("bob", "10.0.0.1", at: 0, failed: false)), "no baseline yet")
        #expect(!unusual(login("bob", "10.0.0.2", at: 1, failed: false)))
        #expect(!unusual(login("bob", "10.0.0.3", at: 2, failed: false)))
        #expect(!unusual(login("bob", "10.0.0.9", at: 3, failed: false)), "same /24")
        #expect(unusual(login("bob", "203.0.113.5", at: 4, failed: false)))
        #expect(!unusual(login("bob", "203.0.113.6", at: 5, failed: false)), "now known")
    }

    @Test func largeTransferToANewPublicDestination() {
        var detectors = BuiltinDetectors(configuration: .init(largeTransferBytes: 1_000_000))
        func flow(_ dst: String, _ bytes: Int) -> [RuleHit] {
            detectors.observe(event(#"{"srcaddr":"10.0.0.5","dstaddr":"\#(dst)","bytes":\#(bytes),"flow_id":"f"}"#), time: 0)
        }
        #expect(flow("198.51.100.7", 5_000_000).map(\.ruleID) == ["vigil-builtin-large-outbound-new-destination"])
        #expect(flow("198.51.100.7", 5_000_000).isEmpty, "destination already known")
        #expect(flow("10.1.1.1", 5_000_000).isEmpty, "private destination")
        #expect(flow("198.51.100.8", 10).isEmpty, "small transfer")
        #expect(flow("198.51.100.8", 5_000_000).isEmpty, "known since the small one")
    }

    @Test func stateIsBounded() {
        var detectors = BuiltinDetectors(configuration: .init(maxTrackedKeys: 100))
        for i in 0..<2_000 {
            _ = detectors.observe(event(#"{"srcaddr":"10.0.0.5","dstaddr":"198.51.\#(i / 256).\#(i % 256)","bytes":1}"#), time: Double(i))
        }
        #expect(detectors.trackedKeys <= 100)
    }

    @Test func builtinSigmaRulesLoadAndFire() throws {
        let set = try RuleSet(sources: BuiltinRules.sources)
        #expect(set.rules.count == 3)
        let stop = event(#"{"eventVersion":"1.08","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventID":"s"}"#)
        let hits = set.evaluate(event: stop)
        #expect(hits.map(\.ruleID) == ["vigil-builtin-cloudtrail-tampering"])
        #expect(hits.first?.author == "Vigil")
        let secret = event(#"{"eventVersion":"1.08","eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue"}"#)
        #expect(set.evaluate(event: secret).map(\.ruleID) == ["vigil-builtin-secrets-manager-read"])
    }
}

@Suite struct LoadErrorTests {
    @Test(arguments: [
        ("title: x\nid: r1\ndetection:\n    sel:\n        a|nope: 1\n    condition: sel\n", RuleLoadError.Code.invalidModifier, "nope"),
        ("title: x\nid: r2\ndetection:\n    sel:\n        a: 1\n", .invalidCondition, "condition"),
        ("title: x\nid: r3\ndetection:\n    sel:\n        a: 1\n    condition: sel and (\n", .invalidCondition, "ends early"),
        ("id: r4\ndetection:\n    sel:\n        a: 1\n    condition: sel\n", .invalidField, "title"),
        ("title: x\nid: r5\nlevel: urgent\ndetection:\n    sel:\n        a: 1\n    condition: sel\n", .invalidField, "level"),
        ("title: x\nid: r6\naction: global\n", .unsupported, "action"),
        ("title: x\nid: r7\ndetection:\n    sel:\n        a: 1\n    timeframe: 5m\n    condition: sel\n", .unsupported, "timeframe"),
    ])
    func errorsNameFileRuleAndProblem(yaml: String, code: RuleLoadError.Code, mentioned: String) {
        let errors = loadErrors(yaml, name: "rules/bad.yml")
        #expect(errors.count == 1)
        #expect(errors.first?.code == code)
        #expect(errors.first?.file == "rules/bad.yml")
        #expect(errors.first?.description.contains(mentioned) == true, "\(errors)")
        if !yaml.hasPrefix("id: r4") { #expect(errors.first?.ruleID?.hasPrefix("r") == true) }
    }

    @Test func invalidYAMLAndDuplicateIDs() {
        #expect(loadErrors("title: [unclosed\n").first?.code == .invalidYAML)
        let rule = "title: x\nid: same\ndetection:\n    sel:\n        a: 1\n    condition: sel\n"
        let errors = RuleSet.compile(sources: [RuleSource(name: "a.yml", text: rule), RuleSource(name: "b.yml", text: rule)]).1
        #expect(errors.map(\.code) == [.duplicateID])
        #expect(errors.first?.file == "b.yml")
    }

    @Test func multiDocumentFilesLoadEveryDocument() throws {
        let bundle = """
            title: One
            id: doc-1
            detection:
                sel:
                    a: 1
                condition: sel
            ---
            title: Two
            id: doc-2
            detection:
                sel:
                    b: 2
                condition: sel
            """
        let set = try RuleSet(sources: [RuleSource(name: "bundle.yml", text: bundle)])
        #expect(set.rules.map(\.metadata.reportedID) == ["doc-1", "doc-2"])
        #expect(set.rules[0].metadata.document["title"] == "One")
    }
}
