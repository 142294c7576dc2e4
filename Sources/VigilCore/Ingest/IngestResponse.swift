/// The body of the answer to an ingest request, built from the decoded batch and what storage did with each
/// accepted item:
///
/// ```json
/// {"results": [{"index": 0, "status": "accepted", "id": "…"},
///              {"index": 1, "status": "duplicate", "id": "…"},
///              {"index": 2, "status": "rejected", "error": {"field": "source_ip", "reason": "…", "line": 3}}],
///  "accepted": 1, "duplicates": 1, "rejected": 1}
/// ```
///
/// `line` appears in an error when the item's line is known. Reasons carry no values (see ``IngestRejection``),
/// so the body is safe to return and to log.
public struct IngestResponse: Sendable, Hashable {
    /// What storage did with one accepted item.
    public enum Stored: Sendable, Hashable {
        /// Inserted now, with Vigil's new alert id.
        case inserted(id: String)
        /// Already held from an earlier request (same `source` and `external_id`): the existing alert's id.
        case existing(id: String)
    }

    /// The result of one input item.
    public struct Result: Sendable, Hashable {
        public enum Status: String, Sendable, Hashable {
            case accepted
            case duplicate
            case rejected
        }

        public var index: Int
        public var status: Status
        /// The alert id, for accepted and duplicate items.
        public var id: String?
        /// Why, for rejected items.
        public var error: IngestRejection?
    }

    public var results: [Result]

    /// Combines a batch with its storage outcomes.
    ///
    /// - Parameters:
    ///   - batch: the decoded batch.
    ///   - stored: for every index of `batch.accepted`, what storage did. An in-batch duplicate reports the id of
    ///     the item it duplicates.
    /// - Precondition: `stored` has an entry for every accepted index (a missing one is a bug in the caller:
    ///   an item would be acknowledged without being stored).
    public init(batch: IngestBatch, stored: [Int: Stored]) {
        func outcome(_ index: Int) -> Stored {
            guard let outcome = stored[index] else { preconditionFailure("no storage outcome for accepted item \(index)") }
            return outcome
        }
        results = batch.items.enumerated().map { index, item in
            switch item {
            case .accepted:
                switch outcome(index) {
                case .inserted(let id): Result(index: index, status: .accepted, id: id)
                case .existing(let id): Result(index: index, status: .duplicate, id: id)
                }
            case .duplicate(let first):
                switch outcome(first) {
                case .inserted(let id), .existing(let id): Result(index: index, status: .duplicate, id: id)
                }
            case .rejected(let rejection):
                Result(index: index, status: .rejected, error: rejection)
            }
        }
    }

    public var acceptedCount: Int { results.count { $0.status == .accepted } }
    public var duplicateCount: Int { results.count { $0.status == .duplicate } }
    public var rejectedCount: Int { results.count { $0.status == .rejected } }

    /// The response body as JSON.
    public var json: JSONValue {
        let items: [JSONValue] = results.map { result in
            var object: JSONObject = ["index": .int(Int64(result.index)), "status": .string(result.status.rawValue)]
            if let id = result.id { object["id"] = .string(id) }
            if let error = result.error {
                var detail: JSONObject = ["field": .string(error.field), "reason": .string(error.reason)]
                if let line = error.line { detail["line"] = .int(Int64(line)) }
                object["error"] = .object(detail)
            }
            return .object(object)
        }
        return [
            "results": .array(items), "accepted": .int(Int64(acceptedCount)), "duplicates": .int(Int64(duplicateCount)),
            "rejected": .int(Int64(rejectedCount)),
        ]
    }
}

extension IngestResponse {
    /// ``json``'s compact text, written directly instead of through a value tree (a 1,000-item answer is built on
    /// every ingest request).
    public var jsonText: String {
        var out = "{\"results\":["
        out.reserveCapacity(results.count * 80 + 64)
        var accepted = 0
        var duplicates = 0
        var rejected = 0
        for (position, result) in results.enumerated() {
            out += position == 0 ? "{\"index\":" : ",{\"index\":"
            out += String(result.index)
            out += ",\"status\":\""
            out += result.status.rawValue
            out += "\""
            switch result.status {
            case .accepted: accepted += 1
            case .duplicate: duplicates += 1
            case .rejected: rejected += 1
            }
            if let id = result.id {
                out += ",\"id\":"
                JSONValue.writeQuoted(id, to: &out)
            }
            if let error = result.error {
                out += ",\"error\":{\"field\":"
                JSONValue.writeQuoted(error.field, to: &out)
                out += ",\"reason\":"
                JSONValue.writeQuoted(error.reason, to: &out)
                if let line = error.line { out += ",\"line\":" + String(line) }
                out += "}"
            }
            out += "}"
        }
        out += "],\"accepted\":\(accepted),\"duplicates\":\(duplicates),\"rejected\":\(rejected)}"
        return out
    }
}
