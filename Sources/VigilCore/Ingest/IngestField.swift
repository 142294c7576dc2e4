/// The top-level fields of an ingest alert object, by their JSON names.
public enum IngestField: String, Sendable, Hashable, CaseIterable {
    case source
    case externalID = "external_id"
    case kind
    case severity
    case occurredAt = "occurred_at"
    case principal
    case resource
    case account
    case sourceIP = "source_ip"
    case payload

    /// The JSON names of all fields.
    static let names: Set<String> = Set(allCases.map(\.rawValue))
}
