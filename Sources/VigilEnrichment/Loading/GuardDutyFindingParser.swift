import VigilCore
import VigilRules

/// Reads GuardDuty findings: one finding, an array of them, `{"Findings":[…]}` (the GetFindings output), an
/// EventBridge event (`{"detail-type":"GuardDuty Finding","detail":{…}}`), or NDJSON of any of these. Field names
/// in either case of first letter (`Severity` or `severity`).
enum GuardDutyFindingParser {
    static func rows(path: String) throws -> StagedRows {
        StagedRows(scan: CloudTrailReader.scan(bytes: try SourceFile.bytes(path)), file: path) { findings(in: $0).map(row) }
    }

    /// The findings a top-level value holds.
    static func findings(in value: JSONValue) -> [JSONValue] {
        if let list = RecordField.value(value, "Findings")?.arrayValue { return list }
        if let detail = RecordField.value(value, "detail"), value["detail-type"] != nil { return [detail] }
        return [value]
    }

    /// One finding as a row in ``LoadTarget/guardDuty`` column order.
    static func row(_ finding: JSONValue) -> Result<[String?], RowRejection> {
        guard case .object = finding else { return .failure(RowRejection("not a JSON object")) }
        guard let id = RecordField.string(finding, "Id") else { return .failure(RowRejection("Id: missing")) }
        guard let type = RecordField.string(finding, "Type") else { return .failure(RowRejection("Type: missing")) }
        let severityValue = RecordField.value(finding, "Severity")
        guard let severity = severityValue?.doubleValue ?? severityValue?.stringValue.flatMap(Double.init), (0...10).contains(severity)
        else { return .failure(RowRejection("Severity: missing or not a number 0–10")) }
        guard let created = RecordField.timestamp(RecordField.string(finding, "CreatedAt")) else {
            return .failure(RowRejection("CreatedAt: missing or not an RFC 3339 time"))
        }
        let updated = RecordField.timestamp(RecordField.string(finding, "UpdatedAt")) ?? created
        let json = finding.jsonText
        if RecordField.hasNUL(json) { return .failure(RowRejection("contains a NUL character")) }
        return .success([
            id, RecordField.string(finding, "AccountId"), RecordField.string(finding, "Region"), type, String(severity),
            RecordField.string(finding, "Title"), RecordField.string(finding, "Resource.ResourceType"),
            PostgresArrayLiteral.text(resourceIDs(finding)), created, updated, json,
        ])
    }

    /// Identifiers of the resource a finding is about.
    static func resourceIDs(_ finding: JSONValue) -> [String] {
        let resource = RecordField.value(finding, "Resource")
        var ids: [String] = []
        for path in [
            "InstanceDetails.InstanceId", "AccessKeyDetails.AccessKeyId", "AccessKeyDetails.UserName", "EksClusterDetails.Name",
            "EksClusterDetails.Arn", "RdsDbInstanceDetails.DbInstanceIdentifier", "RdsDbInstanceDetails.DbInstanceArn",
            "LambdaDetails.FunctionName", "LambdaDetails.FunctionArn", "EcsClusterDetails.Arn", "ContainerDetails.Id",
        ] {
            if let id = RecordField.string(resource, path) { ids.append(id) }
        }
        for bucket in RecordField.value(resource, "S3BucketDetails")?.arrayValue ?? [] {
            if let name = RecordField.string(bucket, "Name") { ids.append(name) }
            if let arn = RecordField.string(bucket, "Arn") { ids.append(arn) }
        }
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }
    }
}
