import VigilCore

/// A rule's `logsource`, or the source an event came from.
///
/// Values are lowercased. A rule matches an event when every field the rule names is either
/// unknown for the event or equal to the event's.
public struct LogSource: Sendable, Hashable {
    public var product: String?
    public var service: String?
    public var category: String?

    public init(product: String? = nil, service: String? = nil, category: String? = nil) {
        self.product = product?.lowercased()
        self.service = service?.lowercased()
        self.category = category?.lowercased()
    }

    /// AWS CloudTrail: `product: aws`, `service: cloudtrail`.
    public static let awsCloudTrail = LogSource(product: "aws", service: "cloudtrail")

    /// True when a rule with this log source applies to an event from `event`.
    public func accepts(_ event: LogSource) -> Bool {
        func compatible(_ rule: String?, _ event: String?) -> Bool {
            guard let rule, let event else { return true }
            return rule == event
        }
        return compatible(product, event.product) && compatible(service, event.service)
            && compatible(category, event.category)
    }

    /// Classifies an event: CloudTrail records (they carry `eventSource`, `eventName` and `eventVersion`)
    /// are `aws`/`cloudtrail`; anything else is unknown, which every rule accepts.
    public static func of(event: JSONValue) -> LogSource {
        isCloudTrail(event) ? .awsCloudTrail : LogSource()
    }

    static func isCloudTrail(_ event: JSONValue) -> Bool {
        guard case .object(let object) = event else { return false }
        return object.member("eventVersion") != nil && object.member("eventSource") != nil && object.member("eventName") != nil
    }
}
