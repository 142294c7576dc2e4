import Foundation
import Testing
import VigilCore

@testable import VigilRules

@Suite struct RuleTestRunnerTests {
    @Test func hitLinesCarryTheFiveFields() throws {
        let hit = RuleHit(ruleID: "r", title: "T \"q\"", level: "high", tags: ["a"], author: "Ann", eventID: "e")
        let line = RuleTestRunner.line(for: hit)
        #expect(line == #"{"rule_id":"r","event_id":"e","title":"T \"q\"","level":"high","author":"Ann"}"#)
        let anonymous = RuleTestRunner.line(for: RuleHit(ruleID: "r", title: "T", level: "low"))
        #expect(try JSONParser().parse(anonymous)["author"] == .null)
    }

    @Test func eventsAreEvaluatedInTimeOrder() {
        let events = [
            event(#"{"eventTime":"2024-01-01T00:00:02Z","n":1}"#), event(#"{"n":2}"#),
            event(#"{"eventTime":"2024-01-01T00:00:01Z","n":3}"#), event(#"{"eventTime":"2024-01-01T00:00:01Z","n":4}"#),
        ]
        #expect(RuleTestRunner.timeOrdered(events).compactMap { $0["n"]?.intValue } == [2, 3, 4, 1])
    }

    @Test func engineReportsRuleHitsThenBuiltinHits() throws {
        let set = try RuleSet(sources: BuiltinRules.sources + [RuleSource(name: "u.yml", text: """
            title: Any IAM user creation
            id: user-creation
            author: Someone
            logsource: {product: aws, service: cloudtrail}
            detection:
                selection:
                    eventSource: iam.amazonaws.com
                    eventName: CreateUser
                condition: selection
            """)])
        var engine = RuleEngine(ruleSet: set)
        let create = event("""
            {"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventTime":"2024-01-01T00:00:00Z",
             "eventID":"c1","userIdentity":{"arn":"arn:aws:iam::1:user/admin"}}
            """)
        #expect(engine.evaluate(event: create).map(\.ruleID) == ["user-creation", "vigil-builtin-iam-persistence-new-call"])
        #expect(engine.evaluate(event: create).map(\.ruleID) == ["user-creation"], "the call is in the principal's baseline now")
    }

    @Test func filterWithAnyAppliesToEveryRuleOfItsLogSource() throws {
        let filter = """
            title: Ignore automation
            id: filter-automation
            logsource: {product: aws, service: cloudtrail}
            filter:
                rules: any
                selection:
                    userAgent|startswith: 'terraform'
                condition: not selection
            """
        let set = try RuleSet(sources: BuiltinRules.sources + [RuleSource(name: "f.yml", text: filter)])
        #expect(set.rules.allSatisfy { $0.appliedFilters == ["filter-automation"] })
        let read = #"{"eventVersion":"1.08","eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue","userAgent":"#
        #expect(set.evaluate(event: event(read + #""Terraform/1.5"}"#)).isEmpty)
        #expect(set.evaluate(event: event(read + #""aws-cli/2"}"#)).count == 1)
    }
}

@Suite struct AlertEvaluationTests {
    /// An alert whose record has no time of its own is placed at `occurredAt`, so windows still work.
    @Test func alertsWithoutEventTimeUseOccurredAt() throws {
        let base = """
            title: Denied call
            id: denied
            name: denied
            detection:
                selection:
                    errorCode: AccessDenied
                condition: selection
            """
        let burst = """
            title: Denied twice within a minute
            id: denied-burst
            correlation:
                type: event_count
                rules: [denied]
                group-by: [user]
                timespan: 1m
                condition: {gte: 2}
            """
        var engine = RuleEngine(ruleSet: try RuleSet(sources: [RuleSource(name: "b.yml", text: base), RuleSource(name: "c.yml", text: burst)]),
            builtins: nil)
        func alert(at seconds: Double) -> Alert {
            Alert(source: "test", externalID: "\(seconds)", kind: "auth", severity: .low, occurredAt: Date(timeIntervalSince1970: seconds),
                payload: ["errorCode": "AccessDenied", "user": "bob"])
        }
        #expect(engine.evaluate(alert: alert(at: 1_000)).isEmpty)
        #expect(engine.evaluate(alert: alert(at: 1_100)).isEmpty, "100 s later: outside the 1m window")
        #expect(engine.evaluate(alert: alert(at: 1_130)).map(\.ruleID) == ["denied-burst"])
        #expect(try RuleSet(sources: [RuleSource(name: "b.yml", text: base)]).evaluate(alert: alert(at: 0)).map(\.ruleID) == ["denied"])
    }
}
