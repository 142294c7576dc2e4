import VigilCore

/// Vigil's baseline detections, which Sigma cannot express: each keeps bounded state and must be fed events in
/// time order (time is the events' own, so results are deterministic).
///
/// - IAM persistence and privilege-escalation calls by a principal that has not made that call within the
///   baseline window (`vigil-builtin-iam-persistence-new-call`).
/// - Authentication failure bursts: more than `failureThreshold` failed console logins per user within
///   `failureWindow` (`vigil-builtin-auth-failure-burst`).
/// - Logins from a source network unusual for the user: once a user has `locationBaseline` logins on record, a
///   login from a network prefix (IPv4 /24, IPv6 /48) not seen for that user (`vigil-builtin-auth-unusual-location`).
/// - Large outbound transfers to a destination new for the host, from VPC flow summaries (`srcaddr`, `dstaddr`,
///   `bytes`): at least `largeTransferBytes` to a public address the host has not sent to before
///   (`vigil-builtin-large-outbound-new-destination`).
public struct BuiltinDetectors: Sendable {
    /// Thresholds, windows and memory limits; every key has a default.
    public struct Configuration: Sendable, Hashable {
        /// Baseline window for first-time IAM calls, seconds. Default 30 days.
        public var iamBaselineWindow: Double
        /// Failures that make a burst when exceeded. Default 10.
        public var failureThreshold: Int
        /// Window for failure bursts, seconds. Default 1 hour.
        public var failureWindow: Double
        /// Logins a user needs on record before a new location is unusual. Default 3.
        public var locationBaseline: Int
        /// Bytes that make a transfer large. Default 100 MiB.
        public var largeTransferBytes: Int64
        /// Keys (principal × call, user, host × destination) kept per detector. Default 100,000.
        public var maxTrackedKeys: Int

        public init(
            iamBaselineWindow: Double = 30 * 86_400, failureThreshold: Int = 10, failureWindow: Double = 3600,
            locationBaseline: Int = 3, largeTransferBytes: Int64 = 100 << 20, maxTrackedKeys: Int = 100_000
        ) {
            self.iamBaselineWindow = iamBaselineWindow
            self.failureThreshold = failureThreshold
            self.failureWindow = failureWindow
            self.locationBaseline = locationBaseline
            self.largeTransferBytes = largeTransferBytes
            self.maxTrackedKeys = maxTrackedKeys
        }
    }

    /// The IAM calls watched for persistence and privilege escalation.
    public static let iamPersistenceCalls: Set<String> = [
        "CreateRole", "AttachRolePolicy", "CreateUser", "CreateAccessKey", "UpdateAssumeRolePolicy", "PutRolePolicy",
        "AddUserToGroup",
    ]

    public let configuration: Configuration
    private var iamCalls: BaselineTable
    private var failures: [String: [Double]] = [:]
    private var loginCounts: [String: Int] = [:]
    private var userLocations: BaselineTable
    private var destinations: BaselineTable

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        iamCalls = BaselineTable(capacity: configuration.maxTrackedKeys)
        userLocations = BaselineTable(capacity: configuration.maxTrackedKeys)
        destinations = BaselineTable(capacity: configuration.maxTrackedKeys)
    }

    /// Keys currently held, all detectors together (for memory reporting and tests).
    public var trackedKeys: Int { iamCalls.count + failures.count + loginCounts.count + userLocations.count + destinations.count }

    static let iamHit = RuleHit(
        ruleID: "vigil-builtin-iam-persistence-new-call", title: "IAM Persistence Call New For This Principal", level: "high",
        tags: ["attack.persistence", "attack.privilege-escalation", "attack.t1098", "attack.t1136.003"], author: "Vigil")
    static let burstHit = RuleHit(
        ruleID: "vigil-builtin-auth-failure-burst", title: "Authentication Failure Burst For One User", level: "high",
        tags: ["attack.credential-access", "attack.t1110"], author: "Vigil")
    static let locationHit = RuleHit(
        ruleID: "vigil-builtin-auth-unusual-location", title: "Login From A Network Unusual For The User", level: "medium",
        tags: ["attack.initial-access", "attack.t1078.004"], author: "Vigil")
    static let transferHit = RuleHit(
        ruleID: "vigil-builtin-large-outbound-new-destination", title: "Large Outbound Transfer To A New Destination",
        level: "high", tags: ["attack.exfiltration", "attack.t1048"], author: "Vigil")

    /// Which detector an event is for.
    public enum EventKind: Sendable {
        case iamPersistenceCall(String)
        case consoleLogin
        case flow
    }

    /// The detector `event` concerns, nil for the (many) events none of them looks at.
    public static func kind(of event: JSONValue) -> EventKind? {
        guard case .object(let object) = event else { return nil }
        return kind(of: event, eventName: object.member("eventName")?.stringValue, eventSource: object.member("eventSource")?.stringValue)
    }

    /// The same, with the event's `eventName` and `eventSource` already looked up.
    static func kind(of event: JSONValue, eventName: String?, eventSource: String?) -> EventKind? {
        guard case .object(let object) = event else { return nil }
        if let name = eventName {
            if name == "ConsoleLogin" { return .consoleLogin }
            guard eventSource == "iam.amazonaws.com", iamPersistenceCalls.contains(name) else { return nil }
            return .iamPersistenceCall(name)
        }
        return object.member("srcaddr") != nil && object.member("dstaddr") != nil ? .flow : nil
    }

    /// Feeds one event at `time`; returns the built-in hits it causes.
    public mutating func observe(_ event: JSONValue, time: Double) -> [RuleHit] {
        guard let kind = Self.kind(of: event) else { return [] }
        return observe(event, kind: kind, time: time)
    }

    /// Feeds one event already classified by ``kind(of:)``.
    public mutating func observe(_ event: JSONValue, kind: EventKind, time: Double) -> [RuleHit] {
        guard case .object(let object) = event else { return [] }
        var hits: [RuleHit] = []
        let eventID = object.member("eventID")?.stringValue
        switch kind {
        case .iamPersistenceCall(let name):
            let key = Self.principal(event) + "\u{1F}" + name
            let window = configuration.iamBaselineWindow
            if iamCalls[key].map({ time - $0 > window }) ?? true { hits.append(Self.iamHit.with(eventID: eventID)) }
            iamCalls.record(key, at: time, window: window)
        case .consoleLogin:
            hits += observeLogin(event, time: time, eventID: eventID)
        case .flow:
            guard let source = object.member("srcaddr")?.stringValue, let destination = object.member("dstaddr")?.stringValue else { break }
            let bytes = object["bytes"]?.intValue ?? object["bytes"]?.stringValue.flatMap { Int64($0) } ?? 0
            let key = source + "\u{1F}" + destination
            let isNew = destinations[key] == nil
            destinations.record(key, at: time, window: .infinity)
            if isNew, bytes >= configuration.largeTransferBytes, !Self.isPrivate(destination) {
                hits.append(Self.transferHit.with(eventID: eventID ?? object["flow_id"]?.scalarText))
            }
        }
        return hits
    }

    private mutating func observeLogin(_ event: JSONValue, time: Double, eventID: String?) -> [RuleHit] {
        var hits: [RuleHit] = []
        let user = Self.principal(event)
        let outcome = event.value(atPath: "responseElements.ConsoleLogin")?.stringValue
        let failed = outcome == "Failure" || event["errorMessage"] != nil && outcome != "Success"
        if failed {
            var times = failures[user] ?? []
            times.append(time)
            times.removeAll { $0 < time - configuration.failureWindow }
            if times.count > configuration.failureThreshold {
                hits.append(Self.burstHit.with(eventID: eventID))
                times.removeAll()
            }
            failures[user] = times.isEmpty ? nil : times
            if failures.count > configuration.maxTrackedKeys {
                failures = failures.filter { ($0.value.last ?? 0) >= time - configuration.failureWindow }
            }
        }
        if let address = event["sourceIPAddress"]?.stringValue, let network = Self.network(address) {
            let previous = loginCounts[user] ?? 0
            let key = user + "\u{1F}" + network
            if previous >= configuration.locationBaseline, userLocations[key] == nil {
                hits.append(Self.locationHit.with(eventID: eventID))
            }
            userLocations.record(key, at: time, window: .infinity)
            loginCounts[user] = previous + 1
            if loginCounts.count > configuration.maxTrackedKeys {
                let excess = loginCounts.count - configuration.maxTrackedKeys + configuration.maxTrackedKeys / 10
                for (key, _) in loginCounts.sorted(by: { $0.value < $1.value }).prefix(excess) { loginCounts.removeValue(forKey: key) }
            }
        }
        return hits
    }

    /// The acting principal: `userIdentity.arn`, else `userName`, else `principalId`.
    static func principal(_ event: JSONValue) -> String {
        let identity = event["userIdentity"]
        return identity?["arn"]?.stringValue ?? identity?["userName"]?.stringValue ?? identity?["principalId"]?.stringValue ?? "unknown"
    }

    /// The network prefix used as a location: IPv4 /24, IPv6 /48; nil for anything not an address.
    static func network(_ address: String) -> String? {
        guard let (bytes, v6) = CIDRRange.parseAddress(address) else { return nil }
        return v6 ? bytes.prefix(6).map { String($0, radix: 16) }.joined(separator: ":") + "::/48"
            : bytes.prefix(3).map(String.init).joined(separator: ".") + ".0/24"
    }

    private static let privateRanges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
        "100.64.0.0/10", "fc00::/7", "fe80::/10", "::1/128"].compactMap(CIDRRange.init)

    /// True for private, loopback, link-local and carrier-grade NAT addresses (and for anything not an address).
    static func isPrivate(_ address: String) -> Bool {
        guard CIDRRange.parseAddress(address) != nil else { return true }
        return privateRanges.contains { $0.contains(address) }
    }
}

extension RuleHit {
    func with(eventID: String?) -> RuleHit {
        var hit = self
        hit.eventID = eventID
        return hit
    }
}
