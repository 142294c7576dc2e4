import VigilCore
import VigilRules

/// Reads authentication events, one JSON object a line: `time` (or `timestamp`, `event_time`), `user` (or
/// `user_name`, `username`), `source_ip` (or `ip`), `result` (`success`/`failure`, or a boolean `success`),
/// and optionally `error_code`, `country`, `asn`.
enum AuthEventParser {
    static func rows(path: String) throws -> StagedRows {
        StagedRows(scan: CloudTrailReader.scan(bytes: try SourceFile.bytes(path)), file: path) { [row($0)] }
    }

    static func first(_ event: JSONValue, _ names: [String]) -> String? {
        names.lazy.compactMap { RecordField.string(event, $0) }.first
    }

    /// One event as a row in ``LoadTarget/auth`` column order.
    static func row(_ event: JSONValue) -> Result<[String?], RowRejection> {
        guard case .object = event else { return .failure(RowRejection("not a JSON object")) }
        guard let time = RecordField.timestamp(first(event, ["time", "timestamp", "event_time"])) else {
            return .failure(RowRejection("time: missing or not an RFC 3339 time"))
        }
        guard let user = first(event, ["user", "user_name", "username"]) else { return .failure(RowRejection("user: missing")) }
        var sourceIP: String?
        if let text = first(event, ["source_ip", "ip", "src_ip"]) {
            guard let canonical = RecordField.canonicalIP(text) else { return .failure(RowRejection("source_ip: not an IP address")) }
            sourceIP = canonical
        }
        let success: Bool
        if let flag = event["success"]?.boolValue {
            success = flag
        } else {
            switch first(event, ["result", "outcome", "status"])?.lowercased() {
            case "success", "succeeded", "ok", "allow", "allowed": success = true
            case "failure", "failed", "fail", "deny", "denied", "error": success = false
            default: return .failure(RowRejection("result: missing or not success/failure"))
            }
        }
        var asn: String?
        if let text = first(event, ["asn"]) {
            let digits = text.uppercased().hasPrefix("AS") ? String(text.dropFirst(2)) : text
            guard let number = Int64(digits), number >= 0 else { return .failure(RowRejection("asn: not a number")) }
            asn = String(number)
        }
        let json = event.jsonText
        if RecordField.hasNUL(json) { return .failure(RowRejection("contains a NUL character")) }
        let hash = Int64(bitPattern: XXHash64.hash(json))
        return .success([
            String(hash), time, user, sourceIP, success ? "t" : "f", first(event, ["error_code", "errorCode"]), first(event, ["country"]), asn,
        ])
    }
}
