import VigilCore
import VigilRules

/// Turns CloudTrail files (any format ``CloudTrailReader`` reads) into `cloudtrail_event` rows.
enum CloudTrailRecordParser {
    static func rows(path: String) throws -> StagedRows {
        StagedRows(scan: CloudTrailReader.scan(bytes: try SourceFile.bytes(path)), file: path) { [row($0)] }
    }

    /// One event as a row in ``LoadTarget/cloudTrail`` column order, or why it cannot be one.
    static func row(_ event: JSONValue) -> Result<[String?], RowRejection> {
        guard case .object = event else { return .failure(RowRejection("not a JSON object")) }
        guard let id = event["eventID"]?.stringValue, !id.isEmpty else { return .failure(RowRejection("eventID: missing")) }
        guard let rawTime = event["eventTime"]?.stringValue else { return .failure(RowRejection("eventTime: missing")) }
        guard let time = RecordField.timestamp(rawTime) else { return .failure(RowRejection("eventTime: not an RFC 3339 time")) }
        guard let source = event["eventSource"]?.stringValue else { return .failure(RowRejection("eventSource: missing")) }
        guard let name = event["eventName"]?.stringValue else { return .failure(RowRejection("eventName: missing")) }
        let json = event.jsonText
        if RecordField.hasNUL(json) { return .failure(RowRejection("contains a NUL character")) }
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
