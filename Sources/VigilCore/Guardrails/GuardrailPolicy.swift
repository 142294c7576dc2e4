/// Decides which guardrail classes apply to an alert (DESIGN.md invariant 4). Pure; no model is consulted.
///
/// Reads the alert's principal and resource, the CloudTrail records in its payload (the payload itself, an
/// EventBridge `detail`, `Records`, any nested object with an `eventName`), GuardDuty finding types and API calls,
/// the rule path's hits (ATT&CK tactic and technique tags) and the hygiene report. Every finding's reason names
/// fields, event names, tags and configured patterns, all Vigil's own constants: never payload values.
///
/// The policy is deliberately conservative: a signal counts whatever else is true of the alert, and known-good
/// automation principals do not switch any guardrail off (their stolen keys would look the same).
public struct GuardrailPolicy: Sendable {
    public var assets: AssetConfiguration
    /// Most nested CloudTrail records read from one payload.
    public var maxRecords: Int

    public init(assets: AssetConfiguration = AssetConfiguration(), maxRecords: Int = 256) {
        self.assets = assets
        self.maxRecords = maxRecords
    }

    /// The guardrail findings for `alert`, one per (class, reason), sorted by class.
    public func evaluate(alert: Alert, ruleHits: [RuleHit] = [], hygiene: HygieneReport? = nil) -> [GuardrailFinding] {
        var findings: [GuardrailFinding] = []
        func add(_ guardrail: GuardrailClass, _ reason: String) {
            let finding = GuardrailFinding(guardrail, reason: reason)
            if !findings.contains(finding) { findings.append(finding) }
        }

        if let principal = alert.principal { checkPrincipal(principal, field: "alert.principal", add: add) }
        if let resource = alert.resource { checkResource(resource, field: "alert.resource", add: add) }
        checkFindingType(alert.kind, field: "alert.kind", add: add)

        for record in records(in: alert.payload) { checkRecord(record, add: add) }
        for finding in guardDutyFindings(in: alert.payload) { checkGuardDutyFinding(finding, add: add) }
        checkAuthRecord(alert.payload, add: add)

        for hit in ruleHits {
            for tag in hit.tags { checkTag(tag.lowercased(), ruleID: hit.ruleID, add: add) }
        }

        if let hygiene, hygiene.injectionSuspected {
            let paths = hygiene.suspiciousFields.prefix(5).map(\.path).joined(separator: ", ")
            add(.injectionSuspected, "instruction-like content in \(hygiene.suspiciousFields.count) field(s): \(paths)")
        }
        return findings.sorted { $0.guardrail < $1.guardrail }
    }

    // MARK: principals and resources

    func checkPrincipal(_ principal: String, field: String, add: (GuardrailClass, String) -> Void) {
        if let pattern = AssetConfiguration.firstMatch(principal, in: assets.privilegedPrincipals) {
            add(.privilegedPrincipal, "\(field) matches privileged pattern \(pattern)")
        }
    }

    func checkResource(_ resource: String, field: String, add: (GuardrailClass, String) -> Void) {
        if let pattern = AssetConfiguration.firstMatch(resource, in: assets.productionDatabases) {
            add(.productionDatabase, "\(field) matches production database pattern \(pattern)")
        }
        if let pattern = AssetConfiguration.firstMatch(resource, in: assets.secretsStores) {
            add(.secretsStore, "\(field) matches secrets store pattern \(pattern)")
        }
        if let pattern = AssetConfiguration.firstMatch(resource, in: assets.privilegedPrincipals) {
            add(.privilegedPrincipal, "\(field) matches privileged pattern \(pattern)")
        }
    }

    // MARK: CloudTrail records

    /// Objects with an `eventName`, depth-first, at most ``maxRecords``.
    func records(in payload: JSONValue) -> [JSONObject] {
        var found: [JSONObject] = []
        func visit(_ value: JSONValue, depth: Int) {
            guard depth <= 8, found.count < maxRecords else { return }
            switch value {
            case .object(let object):
                if object["eventName"]?.stringValue != nil { found.append(object) }
                for member in object where member.key != "requestParameters" && member.key != "responseElements" {
                    visit(member.value, depth: depth + 1)
                }
            case .array(let items):
                for item in items { visit(item, depth: depth + 1) }
            default:
                break
            }
        }
        visit(payload, depth: 0)
        return found
    }

    func checkRecord(_ record: JSONObject, add: (GuardrailClass, String) -> Void) {
        let event = JSONValue.object(record)
        let name = record["eventName"]?.stringValue ?? ""
        let source = record["eventSource"]?.stringValue?.lowercased()
        let region = record["awsRegion"]?.stringValue ?? "*"
        let account = event.value(atPath: "recipientAccountId")?.stringValue ?? event.value(atPath: "userIdentity.accountId")?.stringValue ?? "*"

        checkEventName(name, source: source, add: add)

        if event.value(atPath: "userIdentity.type")?.stringValue == "Root" { add(.privilegedPrincipal, "userIdentity.type is Root") }
        for path in ["userIdentity.arn", "userIdentity.sessionContext.sessionIssuer.arn"] {
            if let arn = event.value(atPath: path)?.stringValue { checkPrincipal(arn, field: path, add: add) }
        }
        if let userName = event.value(atPath: "userIdentity.userName")?.stringValue {
            checkPrincipal("arn:aws:iam::\(account):user/\(userName)", field: "userIdentity.userName", add: add)
        }

        // Principals an IAM call acts on, and policies it attaches.
        let parameters = record["requestParameters"]
        if source == nil || source == "iam.amazonaws.com" {
            for (key, kind) in [("userName", "user"), ("roleName", "role"), ("groupName", "group")] {
                if let value = parameters?[key]?.stringValue {
                    checkPrincipal("arn:aws:iam::\(account):\(kind)/\(value)", field: "requestParameters.\(key)", add: add)
                }
            }
            if let policy = parameters?["policyArn"]?.stringValue { checkPrincipal(policy, field: "requestParameters.policyArn", add: add) }
        }
        if let roleArn = parameters?["roleArn"]?.stringValue {
            checkPrincipal(roleArn, field: "requestParameters.roleArn", add: add)
            if name.hasPrefix("AssumeRole"), let target = Self.accountID(ofARN: roleArn), account != "*", target != account {
                add(.lateralMovement, "\(name) into another account (requestParameters.roleArn)")
            }
        }

        // Resources: the event's own list, and ARNs derived from request parameters.
        if case .array(let resources) = record["resources"] ?? .null {
            for resource in resources {
                if let arn = resource["ARN"]?.stringValue ?? resource["arn"]?.stringValue { checkResource(arn, field: "resources[].ARN", add: add) }
            }
        }
        for (field, arn) in derivedResources(parameters, source: source, region: region, account: account) {
            checkResource(arn, field: "requestParameters.\(field)", add: add)
        }

        if source == "ssm.amazonaws.com", name.hasPrefix("GetParameter"), parameters?["withDecryption"]?.boolValue == true {
            add(.secretsStore, "\(name) with decryption (ssm.amazonaws.com)")
        }
        if name == "AuthorizeSecurityGroupIngress", source == nil || source == "ec2.amazonaws.com",
            let parameters, Self.opensToTheWorld(parameters)
        {
            add(.exfiltration, "AuthorizeSecurityGroupIngress from anywhere (a /0 range)")
        }
        if name == "ConsoleLogin" {
            let identityType = event.value(atPath: "userIdentity.type")?.stringValue
            if event.value(atPath: "additionalEventData.MFAUsed")?.stringValue == "No", identityType == "IAMUser" || identityType == "Root" {
                add(.credentialCompromise, "ConsoleLogin without MFA")
            }
            if event.value(atPath: "responseElements.ConsoleLogin")?.stringValue == "Failure" {
                add(.credentialCompromise, "failed ConsoleLogin")
            }
        }
    }

    func checkEventName(_ name: String, source: String?, add: (GuardrailClass, String) -> Void) {
        for (guardrail, required) in Self.eventSignals[name] ?? [] where source == nil || required == nil || source == required {
            add(guardrail, "event \(name)\(required.map { " (\($0))" } ?? "")")
        }
        for (prefix, guardrail, required) in Self.prefixSignals where name.hasPrefix(prefix) && (source == nil || source == required) {
            add(guardrail, "event \(prefix)* (\(required))")
        }
    }

    /// ARNs for the database, secret and parameter identifiers in request parameters.
    func derivedResources(_ parameters: JSONValue?, source: String?, region: String, account: String) -> [(String, String)] {
        guard case .object(let object) = parameters ?? .null else { return [] }
        var result: [(String, String)] = []
        func arn(_ field: String, _ build: (String) -> String) {
            guard let value = object[field]?.stringValue else { return }
            result.append((field, value.hasPrefix("arn:") ? value : build(value)))
        }
        let base = "\(region):\(account)"
        switch source {
        case "rds.amazonaws.com", nil:
            for field in ["dBInstanceIdentifier", "sourceDBInstanceIdentifier", "targetDBInstanceIdentifier"] {
                arn(field) { "arn:aws:rds:\(base):db:\($0)" }
            }
            for field in ["dBClusterIdentifier", "sourceDBClusterIdentifier"] { arn(field) { "arn:aws:rds:\(base):cluster:\($0)" } }
            arn("dBSnapshotIdentifier") { "arn:aws:rds:\(base):snapshot:\($0)" }
            arn("dBClusterSnapshotIdentifier") { "arn:aws:rds:\(base):cluster-snapshot:\($0)" }
            if source == nil { fallthrough }
        case "dynamodb.amazonaws.com":
            arn("tableName") { "arn:aws:dynamodb:\(base):table/\($0)" }
            if source == nil { fallthrough }
        case "redshift.amazonaws.com":
            arn("clusterIdentifier") { "arn:aws:redshift:\(base):cluster:\($0)" }
            if source == nil { fallthrough }
        case "secretsmanager.amazonaws.com":
            arn("secretId") { "arn:aws:secretsmanager:\(base):secret:\($0)" }
            if source == nil { fallthrough }
        case "ssm.amazonaws.com":
            arn("name") { "arn:aws:ssm:\(base):parameter/\($0.hasPrefix("/") ? String($0.dropFirst()) : $0)" }
            if case .array(let names) = object["names"] ?? .null {
                for case .string(let name) in names {
                    let trimmed = name.hasPrefix("/") ? String(name.dropFirst()) : name
                    result.append(("names", name.hasPrefix("arn:") ? name : "arn:aws:ssm:\(base):parameter/\(trimmed)"))
                }
            }
        default:
            break
        }
        return result
    }

    /// Whether request parameters grant ingress from any address (a `cidrIp`/`cidrIpv6` of prefix length 0 anywhere in them).
    static func opensToTheWorld(_ value: JSONValue) -> Bool {
        switch value {
        case .object(let object):
            for member in object {
                // A /0 prefix is every address, whatever address is written before it.
                if member.key.lowercased().hasPrefix("cidrip"), member.value.stringValue?.hasSuffix("/0") == true {
                    return true
                }
                if opensToTheWorld(member.value) { return true }
            }
            return false
        case .array(let items):
            return items.contains(where: opensToTheWorld)
        default:
            return false
        }
    }

    static func accountID(ofARN arn: String) -> String? {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 5, parts[0] == "arn", !parts[4].isEmpty else { return nil }
        return String(parts[4])
    }

    // MARK: GuardDuty, auth logs, rule tags

    /// GuardDuty findings: objects whose `type` looks like `Purpose:Resource/Family`, at the top or under `detail`.
    func guardDutyFindings(in payload: JSONValue) -> [JSONValue] {
        [payload, payload["detail"] ?? .null].filter { candidate in
            guard let type = candidate["type"]?.stringValue else { return false }
            return type.contains(":") && type.contains("/")
        }
    }

    func checkGuardDutyFinding(_ finding: JSONValue, add: (GuardrailClass, String) -> Void) {
        if let type = finding["type"]?.stringValue { checkFindingType(type, field: "type", add: add) }
        if let api = finding.value(atPath: "service.action.awsApiCallAction.api")?.stringValue {
            let service = finding.value(atPath: "service.action.awsApiCallAction.serviceName")?.stringValue?.lowercased()
            checkEventName(api, source: service, add: add)
        }
        for path in ["resource.accessKeyDetails.userName", "resource.accessKeyDetails.principalId"] {
            if let value = finding.value(atPath: path)?.stringValue { checkPrincipal(value, field: path, add: add) }
        }
        if finding.value(atPath: "resource.accessKeyDetails.userType")?.stringValue == "Root" {
            add(.privilegedPrincipal, "resource.accessKeyDetails.userType is Root")
        }
    }

    func checkFindingType(_ type: String, field: String, add: (GuardrailClass, String) -> Void) {
        guard let colon = type.firstIndex(of: ":") else { return }
        let purpose = type[..<colon].lowercased().filter { $0.isLetter }
        for guardrail in Self.findingPurposes[purpose] ?? [] { add(guardrail, "\(field) threat purpose \(purpose)") }
        if type.contains("InstanceCredentialExfiltration") {
            add(.credentialCompromise, "\(field) instance credential exfiltration")
            add(.exfiltration, "\(field) instance credential exfiltration")
        }
    }

    /// Authentication records (`user`/`username` with a privileged name such as root or an admin account).
    func checkAuthRecord(_ payload: JSONValue, add: (GuardrailClass, String) -> Void) {
        for field in ["user", "username", "userName", "target_user"] {
            guard let user = payload[field]?.stringValue else { continue }
            let lowered = user.lowercased()
            if lowered == "root" || lowered == "administrator" || lowered.hasPrefix("admin") {
                add(.privilegedPrincipal, "\(field) is a privileged account name")
            }
        }
    }

    func checkTag(_ tag: String, ruleID: String, add: (GuardrailClass, String) -> Void) {
        if let guardrail = Self.tacticTags[tag] {
            add(guardrail, "rule \(ruleID) tagged \(tag)")
            return
        }
        guard tag.hasPrefix("attack.t") else { return }
        let technique = tag.dropFirst("attack.".count).prefix { $0 != "." }
        if let guardrail = Self.techniqueTags[String(technique)] { add(guardrail, "rule \(ruleID) tagged \(tag)") }
    }
}
