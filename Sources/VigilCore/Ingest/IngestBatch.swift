/// The result of decoding one ingest body: one ``Item`` per input index, in input order.
///
/// Input indexes count the array's elements, or the NDJSON body's non-blank lines, from 0.
public struct IngestBatch: Sendable {
    /// What became of one input item.
    public enum Item: Sendable, Hashable {
        /// Valid; the caller stores it.
        case accepted(DecodedAlert)
        /// Valid, but an earlier item of the same batch has the same (`source`, `external_id`): the index of
        /// that first item. The caller reports this item with the first one's alert id.
        case duplicate(of: Int)
        /// Not valid; nothing of it is stored.
        case rejected(IngestRejection)
    }

    public var items: [Item]

    public init(items: [Item]) {
        self.items = items
    }

    /// The accepted alerts with their input indexes, in input order.
    public var accepted: [(index: Int, alert: DecodedAlert)] {
        items.enumerated().compactMap { index, item in
            if case .accepted(let alert) = item { (index, alert) } else { nil }
        }
    }

    public var acceptedCount: Int { items.count { if case .accepted = $0 { true } else { false } } }
    public var duplicateCount: Int { items.count { if case .duplicate = $0 { true } else { false } } }
    public var rejectedCount: Int { items.count { if case .rejected = $0 { true } else { false } } }
}

/// One valid alert from an ingest body, with what the storage step needs besides the alert.
public struct DecodedAlert: Sendable, Hashable, CustomStringConvertible {
    public var alert: Alert
    /// The payload's JSON text exactly as the producer sent it (its compact serialisation in the rare case of
    /// an item whose keys are written with escapes), ready for a `jsonb` column: valid, and free of `\u0000`,
    /// which PostgreSQL rejects. Untrusted: never log it.
    public var payloadJSON: String
    /// The 1-based line of the body where the item starts.
    public var line: Int

    public init(alert: Alert, payloadJSON: String, line: Int) {
        self.alert = alert
        self.payloadJSON = payloadJSON
        self.line = line
    }

    public var description: String { "DecodedAlert(\(alert), line: \(line))" }
}
