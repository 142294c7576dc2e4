import VigilCore
import VigilRules

/// One file's rows ready for COPY, in the column order of a ``LoadTarget``, and the records refused on the way.
struct StagedRows: Sendable {
    var rows: [[String?]] = []
    var rejected: [LoadRejection] = []
    /// Records read (rows plus rejections).
    var read: Int { rows.count + rejected.count }

    init() {}

    /// The rows of a JSON file read record by record: records that do not parse and rows that `convert` refuses are
    /// rejected with their position, in file order. `convert` may make several rows of one record (an array of findings).
    init(scan: CloudTrailReader.Scan, file: String, convert: (JSONValue) -> [Result<[String?], RowRejection>]) {
        var rejected = scan.failures.map { ($0.position.record, LoadRejection(file: file, position: $0.position.description, reason: $0.reason)) }
        rows.reserveCapacity(scan.records.count)
        for (position, value) in scan.records {
            for outcome in convert(value) {
                switch outcome {
                case .success(let row): rows.append(row)
                case .failure(let reason):
                    let place = position.line > 0 ? position.description : "record \(position.record)"
                    rejected.append((position.record, LoadRejection(file: file, position: place, reason: reason.message)))
                }
            }
        }
        self.rejected = rejected.sorted { $0.0 < $1.0 }.map(\.1)
    }
}

/// Why a record cannot be a row: a field name and what is wrong, never the value.
struct RowRejection: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
