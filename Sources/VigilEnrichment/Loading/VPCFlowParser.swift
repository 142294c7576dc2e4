import Foundation
import VigilCore

/// Reads VPC Flow Logs in text form: version 2's default format (`version account-id interface-id srcaddr dstaddr
/// srcport dstport protocol packets bytes start end action log-status`), or a custom format named by a header line
/// of field names (as S3 delivery writes it). `-` is no value.
enum VPCFlowParser {
    static let defaultFields = [
        "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes",
        "start", "end", "action", "log-status",
    ]

    static func rows(path: String) throws -> StagedRows {
        var staged = StagedRows()
        var fields = defaultFields
        for (index, line) in try SourceFile.lines(path).enumerated() {
            if RecordField.hasRawNUL(line.text) {
                staged.rejected.append(LoadRejection(file: path, position: "line \(line.number)", reason: RecordField.nulRejection.message))
                continue
            }
            let tokens = line.text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if index == 0, tokens.contains(where: { $0.contains("srcaddr") || $0.contains("start") }) {
                fields = tokens.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "${}")).replacingOccurrences(of: "_", with: "-") }
                continue
            }
            switch row(tokens, fields: fields) {
            case .success(let row): staged.rows.append(row)
            case .failure(let reason):
                staged.rejected.append(LoadRejection(file: path, position: "line \(line.number)", reason: reason.message))
            }
        }
        return staged
    }

    /// One record as a row in ``LoadTarget/vpcFlow`` column order.
    static func row(_ tokens: [String], fields: [String]) -> Result<[String?], RowRejection> {
        guard tokens.count == fields.count else {
            return .failure(RowRejection("\(tokens.count) fields where the format has \(fields.count)"))
        }
        var values: [String: String] = [:]
        for (field, token) in zip(fields, tokens) where token != "-" { values[field] = token }
        guard let startText = values["start"], let start = Int64(startText), start >= 0 else {
            return .failure(RowRejection("start: missing or not a number of seconds"))
        }
        var end: String?
        if let text = values["end"] {
            guard let seconds = Int64(text) else { return .failure(RowRejection("end: not a number of seconds")) }
            end = epoch(seconds)
        }
        var addresses: [String: String] = [:]
        for field in ["srcaddr", "dstaddr"] {
            guard let text = values[field] else { continue }
            guard let canonical = RecordField.canonicalIP(text) else { return .failure(RowRejection("\(field): not an IP address")) }
            addresses[field] = canonical
        }
        var numbers: [String: String] = [:]
        for field in ["srcport", "dstport", "protocol", "packets", "bytes"] {
            guard let text = values[field] else { continue }
            guard let number = Int64(text), number >= 0 else { return .failure(RowRejection("\(field): not a number")) }
            numbers[field] = String(number)
        }
        let hash = Int64(bitPattern: XXHash64.hash(tokens.joined(separator: " ")))
        return .success([
            String(hash), epoch(start), end, values["account-id"], values["interface-id"], addresses["srcaddr"], addresses["dstaddr"],
            numbers["srcport"], numbers["dstport"], numbers["protocol"], numbers["packets"], numbers["bytes"], values["action"],
            values["log-status"],
        ])
    }

    static func epoch(_ seconds: Int64) -> String { RFC3339.format(Date(timeIntervalSince1970: TimeInterval(seconds))) }
}
