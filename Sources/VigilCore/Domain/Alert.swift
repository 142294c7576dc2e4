import Foundation

/// One security alert as a producer sent it, after validation.
///
/// `payload` is the producer's raw record: untrusted, possibly secret-bearing. It never appears in
/// `description`, logs or error messages.
public struct Alert: Sendable, Hashable, CustomStringConvertible {
    /// Where the alert came from (`guardduty`, `siem-prod`, `sigma`, …).
    public var source: String
    /// The producer's own id; with `source`, the idempotency key.
    public var externalID: String
    /// What kind of alert it is (`cloudtrail`, `guardduty`, `auth`, a rule id, …).
    public var kind: String
    public var severity: Severity
    public var occurredAt: Date
    /// The principal (an ARN or user name) the alert is about, if any.
    public var principal: String?
    /// The resource (an ARN or id) the alert is about, if any.
    public var resource: String?
    /// The cloud account, if any.
    public var account: String?
    /// The source address, if any.
    public var sourceIP: String?
    /// The raw record.
    public var payload: JSONValue

    public init(
        source: String,
        externalID: String,
        kind: String,
        severity: Severity,
        occurredAt: Date,
        principal: String? = nil,
        resource: String? = nil,
        account: String? = nil,
        sourceIP: String? = nil,
        payload: JSONValue = .object([:])
    ) {
        self.source = source
        self.externalID = externalID
        self.kind = kind
        self.severity = severity
        self.occurredAt = occurredAt
        self.principal = principal
        self.resource = resource
        self.account = account
        self.sourceIP = sourceIP
        self.payload = payload
    }

    /// Identity and kind only, never the payload.
    public var description: String { "Alert(source: \(source), externalID: \(externalID), kind: \(kind), severity: \(severity))" }
}
