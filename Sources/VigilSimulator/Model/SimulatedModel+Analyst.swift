import VigilCore

/// What the alert names: the principal, resource, address and account an analyst would look up.
struct AlertEntities: Sendable {
    var principal: String?
    var resource: String?
    var address: String?
    var account: String?

    /// Fields that name the alert's own entities, most specific first, in Vigil's alert shape, CloudTrail's and
    /// common SIEM spellings. They win over the first match anywhere in the text.
    static let principalPaths = ["principal", "principal_arn", "principalArn", "userIdentity.arn", "user_identity.arn", "actor.arn"]
    static let addressPaths = ["source_ip", "sourceIP", "sourceIPAddress", "source_ip_address", "ip_address", "client_ip", "ip"]
    static let accountPaths = ["account", "account_id", "accountId", "recipientAccountId", "userIdentity.accountId"]
    static let resourcePaths = ["resource", "resource_arn", "resourceArn"]

    init(_ conversation: SimulatedConversation) {
        let texts = conversation.userTexts.map(TextInspector.expanded)
        let documents = texts.compactMap { TextInspector.embeddedJSON(in: $0) }
        func field(_ paths: [String], where accept: (String) -> Bool) -> String? {
            for document in documents {
                for path in paths {
                    if let value = document.value(atPath: path)?.stringValue, accept(value) { return value }
                }
            }
            return nil
        }
        let text = texts.joined(separator: "\n")
        principal = field(Self.principalPaths) { TextInspector.principalARNs(in: $0) == [$0] } ?? TextInspector.principalARNs(in: text).first
        resource = field(Self.resourcePaths) { $0.hasPrefix("arn:") } ?? TextInspector.resourceARNs(in: text).first
        address = field(Self.addressPaths) { TextInspector.ipv4Addresses(in: $0) == [$0] } ?? TextInspector.ipv4Addresses(in: text).first
        account = field(Self.accountPaths) { $0.utf8.count == 12 && $0.allSatisfy(\.isNumber) } ?? TextInspector.accountIDs(in: text).first
    }

    /// The arguments the analyst passes to a tool, or nil when the alert names nothing the tool takes.
    func arguments(for tool: String) -> JSONValue? {
        switch tool {
        case "get_cloudtrail_events":
            if let principal { return ["principal_arn": .string(principal), "hours_back": 24] }
            if let resource { return ["resource_arn": .string(resource), "hours_back": 24] }
            return nil
        case "get_iam_principal_history":
            return principal.map { ["principal_arn": .string($0)] }
        case "lookup_ip_reputation":
            return address.map { ["ip_address": .string($0)] }
        case "check_guardduty_findings":
            if let account { return ["account_id": .string(account), "severity_min": 4.0] }
            return nil
        case "get_vpc_flow_logs":
            return address.map { ["source_ip": .string($0), "hours_back": 1] }
        default:
            return nil
        }
    }
}

extension SimulatedModel {
    /// The analyst's rounds of tool calls, one round per turn: the principal's CloudTrail events and IAM history;
    /// then the address's reputation and the account's GuardDuty findings; then, only when those showed a threat,
    /// the address's flow logs. Calls for tools not offered or entities the alert lacks are left out.
    func analystPlan(for conversation: SimulatedConversation) -> [[SimulatedReply.ToolCall]] {
        let entities = AlertEntities(conversation)
        let offered = Set(conversation.toolNames)
        func round(_ tools: [String]) -> [SimulatedReply.ToolCall] {
            tools.compactMap { tool in
                guard offered.contains(tool), let arguments = entities.arguments(for: tool) else { return nil }
                return .init(name: tool, arguments: .json(arguments))
            }
        }
        var rounds = [
            round(["get_cloudtrail_events", "get_iam_principal_history"]),
            round(["lookup_ip_reputation", "check_guardduty_findings"]),
        ]
        let threatSoFar = conversation.toolResults.contains { !TextInspector.threatSignals(in: TextInspector.expanded($0.text)).isEmpty }
        if threatSoFar { rounds.append(round(["get_vpc_flow_logs"])) }
        return rounds.filter { !$0.isEmpty }
    }

    /// The next analyst turn: the first planned round not yet called (at most three rounds), else the verdict.
    func analystReply(to conversation: SimulatedConversation) -> SimulatedReply {
        let called = Set(conversation.toolCalls.map(\.name))
        if conversation.assistantTurns < 3 {
            for round in analystPlan(for: conversation) where round.contains(where: { !called.contains($0.name) }) {
                return .calls(round)
            }
        }
        return analystVerdict(for: conversation)
    }

    /// The verdict consistent with the tool results: ESCALATE on any threat signal (citing the evidence that shows
    /// it), ESCALATE when a tool failed or nothing could be looked up, CLOSE when the results describe routine known
    /// activity, MONITOR otherwise.
    func analystVerdict(for conversation: SimulatedConversation) -> SimulatedReply {
        let results = conversation.toolResults
        let evidence = evidenceSeen(in: conversation)
        // Signals and routine markers are read through base64 too (a spotlighted result may be encoded).
        let signals = TextInspector.unique(
            results.filter { !$0.isError }.flatMap { TextInspector.threatSignals(in: TextInspector.expanded($0.text)) }
        )
        if !signals.isEmpty {
            // Ids found by pattern share their tool result's whole text as context: read each distinct context once.
            var read: [(context: String, threat: Bool)] = []
            let showing = evidence.filter { item in
                if let known = read.first(where: { $0.context == item.context }) { return known.threat }
                let threat = !TextInspector.threatSignals(in: item.context).isEmpty
                read.append((item.context, threat))
                return threat
            }
            let cited = (showing.isEmpty ? evidence : showing).prefix(5).map(\.id)
            return verdict(
                .escalate,
                confidence: 0.9,
                rationale: "Tool results show \(signals.joined(separator: ", ")).",
                evidence: cited
            )
        }
        let cited = evidence.prefix(5).map(\.id)
        if results.isEmpty {
            return verdict(.escalate, confidence: 0.5, rationale: "No context could be gathered; escalating when uncertain.", evidence: [])
        }
        if results.contains(where: { $0.isError || TextInspector.reportsFailure($0.text) }) {
            return verdict(.escalate, confidence: 0.6, rationale: "Some lookups failed; escalating when uncertain.", evidence: cited)
        }
        if results.allSatisfy({ TextInspector.describesRoutineActivity(TextInspector.expanded($0.text)) }) {
            return verdict(.close, confidence: 0.85, rationale: "Tool results show routine, known activity for this principal.", evidence: cited)
        }
        return verdict(.monitor, confidence: 0.6, rationale: "Nothing malicious found, but the activity is not fully explained.", evidence: cited)
    }
}
