/// What an alert is routed by: all alerts with the same key land on the same shard, and so on one worker
/// at a time.
///
/// The key is the first present of: the principal, the account, the source address, the external id. Its
/// ``value`` is the field's text as ingest stored it (`source_ip` already in canonical form, so `::ffff:10.0.0.1`
/// and `10.0.0.1` route together); it is hashed as UTF-8 without the kind, so the kind only explains the choice.
public struct RoutingKey: Sendable, Hashable, CustomStringConvertible {
    /// Which field the key came from.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case principal
        case account
        case sourceIP = "source_ip"
        case externalID = "external_id"
    }

    public var kind: Kind
    /// The field's text. An identifier, not payload, but still only in ``description``'s kind: keys name users.
    public var value: String

    public init(kind: Kind, value: String) {
        self.kind = kind
        self.value = value
    }

    /// The routing key of `alert`. Empty optional fields count as absent.
    public init(for alert: Alert) {
        if let principal = alert.principal, !principal.isEmpty {
            self.init(kind: .principal, value: principal)
        } else if let account = alert.account, !account.isEmpty {
            self.init(kind: .account, value: account)
        } else if let sourceIP = alert.sourceIP, !sourceIP.isEmpty {
            self.init(kind: .sourceIP, value: sourceIP)
        } else {
            self.init(kind: .externalID, value: alert.externalID)
        }
    }

    /// The frozen 64-bit hash of the key: XXH64 of its UTF-8 bytes, seed 0.
    public var hash: UInt64 { XXHash64.hash(value) }

    /// The kind only; the value names a user or host and stays out of default log lines.
    public var description: String { "RoutingKey(\(kind.rawValue))" }
}
