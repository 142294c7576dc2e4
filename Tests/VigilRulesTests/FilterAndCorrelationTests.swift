import Foundation
import Testing
import VigilCore

@testable import VigilRules

private let baseRule = """
    title: Failed console login
    id: base-login-failure
    name: login_failure
    logsource: {product: aws, service: cloudtrail}
    detection:
        selection:
            eventName: ConsoleLogin
            errorMessage|exists: true
        condition: selection
    level: low
    """

private func login(_ user: String, at time: String, id: String, ip: String = "1.2.3.4", failed: Bool = true) -> JSONValue {
    let error = failed ? #","errorMessage":"Failed authentication""# : ""
    return event("""
        {"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventTime":"\(time)",
         "eventID":"\(id)","sourceIPAddress":"\(ip)","userIdentity":{"type":"IAMUser","userName":"\(user)"}\(error)}
        """)
}

@Suite struct FilterTests {
    private let filter = """
        title: Ignore the break-glass tester
        id: filter-tester
        logsource: {product: aws, service: cloudtrail}
        filter:
            rules:
                - base-login-failure
            selection:
                userIdentity.userName: tester
            condition: not selection
        """

    @Test func filterIsAndedIntoTheRule() throws {
        let set = try RuleSet(sources: [RuleSource(name: "r.yml", text: baseRule), RuleSource(name: "f.yml", text: filter)])
        #expect(set.rules[0].appliedFilters == ["filter-tester"])
        #expect(set.evaluate(event: login("alice", at: "2024-01-01T00:00:00Z", id: "1")).count == 1)
        #expect(set.evaluate(event: login("tester", at: "2024-01-01T00:00:00Z", id: "2")).isEmpty)
    }

    @Test func filterNamingAMissingRuleIsALoadError() {
        let errors = RuleSet.compile(sources: [RuleSource(name: "f.yml", text: filter)]).1
        #expect(errors.map(\.code) == [.unresolvedReference])
        #expect(errors.first?.ruleID == "filter-tester")
        #expect(errors.first?.file == "f.yml")
    }
}

@Suite struct CorrelationTests {
    private func engine(_ correlation: String, extra: [String] = []) throws -> RuleEngine {
        let sources = [RuleSource(name: "base.yml", text: baseRule), RuleSource(name: "corr.yml", text: correlation)]
            + extra.enumerated().map { RuleSource(name: "extra\($0.offset).yml", text: $0.element) }
        return RuleEngine(ruleSet: try RuleSet(sources: sources), builtins: nil)
    }

    private let eventCount = """
        title: Brute force
        id: corr-brute-force
        correlation:
            type: event_count
            rules: [login_failure]
            group-by: [userIdentity.userName]
            timespan: 10m
            condition: {gte: 3}
        level: high
        """

    @Test func eventCountFiresPerGroupWithinTheWindow() throws {
        var engine = try engine(eventCount)
        var fired: [String] = []
        let feed: [(String, String)] = [
            ("alice", "2024-01-01T00:00:00Z"), ("bob", "2024-01-01T00:01:00Z"), ("alice", "2024-01-01T00:02:00Z"),
            ("alice", "2024-01-01T00:20:00Z"),  // the first two left the window
            ("alice", "2024-01-01T00:21:00Z"), ("alice", "2024-01-01T00:22:00Z"),  // third within 10 minutes: fires
        ]
        for (i, (user, time)) in feed.enumerated() {
            fired += engine.evaluate(event: login(user, at: time, id: "e\(i)")).map { "\($0.ruleID)@\($0.eventID ?? "")" }
        }
        // The base rule is used by a correlation without `generate`, so only the correlation reports.
        #expect(fired == ["corr-brute-force@e5"])
    }

    @Test func generateKeepsTheBaseRuleHits() throws {
        var engine = try engine(eventCount.replacingOccurrences(of: "condition: {gte: 3}", with: "condition: {gte: 3}\n    generate: true"))
        #expect(engine.evaluate(event: login("a", at: "2024-01-01T00:00:00Z", id: "x")).map(\.ruleID) == ["base-login-failure"])
    }

    @Test func valueCountCountsDistinctValues() throws {
        let rule = """
            title: Many addresses
            id: corr-addresses
            correlation:
                type: value_count
                rules: login_failure
                group-by: [userIdentity.userName]
                timespan: 1h
                condition: {gte: 2, field: sourceIPAddress}
            """
        var engine = try engine(rule)
        #expect(engine.evaluate(event: login("a", at: "2024-01-01T00:00:00Z", id: "1", ip: "1.1.1.1")).isEmpty)
        #expect(engine.evaluate(event: login("a", at: "2024-01-01T00:01:00Z", id: "2", ip: "1.1.1.1")).isEmpty)
        #expect(engine.evaluate(event: login("a", at: "2024-01-01T00:02:00Z", id: "3", ip: "2.2.2.2")).map(\.ruleID) == ["corr-addresses"])
    }

    private let success = """
        title: Console login success
        id: base-login-success
        name: login_success
        logsource: {product: aws, service: cloudtrail}
        detection:
            selection:
                eventName: ConsoleLogin
                errorMessage|exists: false
            condition: selection
        """

    @Test func temporalOrderedNeedsTheOrder() throws {
        let rule = """
            title: Failure then success
            id: corr-fail-then-success
            correlation:
                type: temporal_ordered
                rules: [login_failure, login_success]
                group-by: [user]
                timespan: 5m
                aliases:
                    user:
                        login_failure: userIdentity.userName
                        login_success: userIdentity.userName
            """
        var engine = try engine(rule, extra: [success])
        #expect(engine.evaluate(event: login("a", at: "2024-01-01T00:00:00Z", id: "1", failed: false)).isEmpty)
        #expect(engine.evaluate(event: login("a", at: "2024-01-01T00:01:00Z", id: "2")).isEmpty)
        #expect(engine.evaluate(event: login("b", at: "2024-01-01T00:02:00Z", id: "3", failed: false)).isEmpty)
        #expect(engine.evaluate(event: login("a", at: "2024-01-01T00:03:00Z", id: "4", failed: false)).map(\.ruleID) == ["corr-fail-then-success"])
        #expect(engine.evaluate(event: login("a", at: "2024-01-01T00:30:00Z", id: "5")).isEmpty)
        #expect(engine.evaluate(event: login("a", at: "2024-01-01T00:40:00Z", id: "6", failed: false)).isEmpty, "outside the 5m window")
    }

    @Test func temporalAnyOrderAndChainedCorrelation() throws {
        let temporal = """
            title: Both within 5m
            id: corr-both
            name: both
            correlation:
                type: temporal
                rules: [login_success, login_failure]
                group-by: [userIdentity.userName]
                timespan: 5m
            """
        let chained = """
            title: Repeated both
            id: corr-chained
            correlation:
                type: event_count
                rules: [both]
                group-by: [userIdentity.userName]
                timespan: 1h
                condition: {gte: 2}
            """
        var engine = try engine(temporal, extra: [success, chained])
        #expect(engine.evaluate(event: login("a", at: "2024-01-01T00:00:00Z", id: "1", failed: false)).isEmpty)
        #expect(engine.evaluate(event: login("a", at: "2024-01-01T00:01:00Z", id: "2")).map(\.ruleID) == ["corr-both"])
        #expect(engine.evaluate(event: login("a", at: "2024-01-01T00:10:00Z", id: "3")).isEmpty)
        #expect(engine.evaluate(event: login("a", at: "2024-01-01T00:11:00Z", id: "4", failed: false)).map(\.ruleID) == ["corr-both", "corr-chained"])
    }

    @Test func groupStateIsBounded() throws {
        let sources = [RuleSource(name: "base.yml", text: baseRule), RuleSource(name: "corr.yml", text: eventCount)]
        var engine = RuleEngine(ruleSet: try RuleSet(sources: sources), builtins: nil, limits: StateLimits(maxGroupsPerCorrelation: 50))
        for i in 0..<1_000 { _ = engine.evaluate(event: login("user\(i)", at: "2024-01-01T00:00:00Z", id: "\(i)")) }
        #expect(engine.correlationGroupCount <= 50)
        #expect(engine.correlationGroupCount > 0)
    }

    @Test(arguments: [
        ("type: event_count\n    rules: [login_failure]\n    timespan: 10m", "condition"),
        ("type: event_count\n    rules: [login_failure]\n    timespan: soon\n    condition: {gte: 1}", "timespan"),
        ("type: value_sum\n    rules: [login_failure]\n    timespan: 10m\n    condition: {gte: 1}", "value_sum"),
        ("type: event_count\n    rules: [nothing_here]\n    timespan: 10m\n    condition: {gte: 1}", "nothing_here"),
        ("type: value_count\n    rules: [login_failure]\n    timespan: 10m\n    condition: {gte: 1}", "field"),
    ])
    func malformedCorrelationsAreRejected(body: String, mentioned: String) {
        let yaml = "title: Bad\nid: corr-bad\ncorrelation:\n    \(body)\n"
        let errors = RuleSet.compile(sources: [RuleSource(name: "base.yml", text: baseRule), RuleSource(name: "c.yml", text: yaml)]).1
        #expect(errors.count == 1)
        #expect(errors.first?.ruleID == "corr-bad")
        #expect(errors.first?.description.contains(mentioned) == true, "\(errors)")
    }

    @Test func correlationCyclesAreRejected() {
        let a = "title: A\nid: ca\nname: ca\ncorrelation:\n    type: event_count\n    rules: [cb]\n    timespan: 1m\n    condition: {gte: 1}\n"
        let b = "title: B\nid: cb\nname: cb\ncorrelation:\n    type: event_count\n    rules: [ca]\n    timespan: 1m\n    condition: {gte: 1}\n"
        let errors = RuleSet.compile(sources: [RuleSource(name: "a.yml", text: a), RuleSource(name: "b.yml", text: b)]).1
        #expect(errors.contains { $0.code == .unresolvedReference && $0.message.contains("cycle") })
    }
}
