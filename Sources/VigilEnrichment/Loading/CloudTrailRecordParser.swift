import VigilCore
import VigilRules

/// Turns CloudTrail files (any format ``CloudTrailReader`` reads) into `cloudtrail_event` rows.
enum CloudTrailRecordParser {
    static func rows(path: String) throws -> StagedRows {
        let bytes: [UInt8]
        do { bytes = try CloudTrailReader.contents(path: path) } catch {
            throw LoadError(code: .unreadableFile, message: error.description)
        }
        let scan = CloudTrailReader.scan(bytes: bytes)
        var staged = StagedRows()
        staged.rows.reserveCapacity(scan.records.count)
        var rejected = scan.failures.map { ($0.position.record, LoadRejection(file: path, position: $0.position.description, reason: $0.reason)) }
        for (position, event) in scan.records {
            switch row(event) {
            case .success(let row): staged.rows.append(row)
            case .failure(let reason):
                let place = position.line > 0 ? position.description : "record \(position.record)"
                rejected.append((position.record, LoadRejection(file: path, position: place, reason: reason.message)))
            }
        }
        staged.rejected = rejected.sorted { $0.0 < $1.0 }.map(\.1)
        return staged
    }

    struct Reason: Error { var message: String }

    /// One event as a row in ``LoadTarget/cloudTrail`` column order, or why it cannot be one.
    static func row(_ event: JSONValue) -> Result<[String?], Reason> {
        guard case .object = event else { return .failure(Reason(message: "not a JSON object")) }
        guard let id = event["eventID"]?.stringValue, !id.isEmpty else { return .failure(Reason(message: "eventID: missing")) }
        guard let rawTime = event["eventTime"]?.stringValue else { return .failure(Reason(message: "eventTime: missing")) }
        guard let time = RecordField.timestamp(rawTime) else { return .failure(Reason(message: "eventTime: not an RFC 3339 time")) }
        guard let source = event["eventSource"]?.stringValue else { return .failure(Reason(message: "eventSource: missing")) }
        guard let name = event["eventName"]?.stringValue else { return .failure(Reason(message: "eventName: missing")) }
        let json = event.jsonText
        if RecordField.hasNUL(json) { return .failure(Reason(message: "contains a NUL character")) }
        let identity = event["userIdentity"]
        let sourceAddress = event["sourceIPAddress"]?.stringValue
        return .success([
            id, time, source, name,
            identity?["arn"]?.stringValue,
            identity?["type"]?.stringValue,
            event["recipientAccountId"]?.stringValue ?? identity?["accountId"]?.stringValue,
            event["awsRegion"]?.stringValue,
            sourceAddress,
            RecordField.canonicalIP(sourceAddress),
            event["userAgent"]?.stringValue,
            event["errorCode"]?.stringValue,
            PostgresArrayLiteral.text(resourceARNs(event)),
            json,
        ])
    }

    /// The ARNs an event touches: `resources[].ARN`, and ARN-valued request parameters (one level deep).
    static func resourceARNs(_ event: JSONValue) -> [String] {
        var arns: [String] = []
        for resource in event["resources"]?.arrayValue ?? [] {
            if let arn = resource["ARN"]?.stringValue ?? resource["arn"]?.stringValue { arns.append(arn) }
        }
        if case .object(let parameters)? = event["requestParameters"] {
            for member in parameters {
                if let text = member.value.stringValue, text.hasPrefix("arn:") { arns.append(text) }
                for item in member.value.arrayValue ?? [] {
                    if let text = item.stringValue, text.hasPrefix("arn:") { arns.append(text) }
                }
            }
        }
        var seen = Set<String>()
        return arns.filter { seen.insert($0).inserted }
    }
}
