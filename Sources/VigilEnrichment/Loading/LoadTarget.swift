/// A table the loaders fill: its columns in COPY order, its day-partition key, and what a conflicting row does.
struct LoadTarget: Sendable {
    enum OnConflict: Sendable {
        /// The row is already there: skip it.
        case skip
        /// Update the listed columns (`column = EXCLUDED.column`) when `condition` holds (SQL over the existing
        /// row and `EXCLUDED`, nil: always). Of several staged rows with one key, the first by `preferring` (an
        /// ORDER BY list) is written.
        case refresh(columns: [String], condition: String?, preferring: String?)
    }

    var table: String
    var columns: [String]
    /// The timestamptz column the table is partitioned by day on, nil when it is not partitioned.
    var partitionColumn: String?
    var conflictKey: [String]
    var onConflict: OnConflict
    /// SQL types of `conflictKey` when the table takes the direct COPY path (insert-only, key then day column).
    var directKeyTypes: [String]? = nil
    /// The summaries the rows inserted are also added to, in the same transaction.
    var summaries: [EventSummary] = []

    static let cloudTrail = LoadTarget(
        table: "cloudtrail_event",
        columns: [
            "event_id", "event_time", "event_source", "event_name", "principal_arn", "principal_type", "account_id", "region",
            "source_address", "source_ip", "user_agent", "error_code", "resources", "record",
        ],
        partitionColumn: "event_time",
        conflictKey: ["event_id", "event_time"],
        onConflict: .skip,
        directKeyTypes: ["text", "timestamptz"],
        summaries: [.principalActivity, .addressActivity]
    )

    static let vpcFlow = LoadTarget(
        table: "vpc_flow",
        columns: [
            "flow_hash", "start_time", "end_time", "account_id", "interface_id", "src_addr", "dst_addr", "src_port", "dst_port",
            "protocol", "packets", "bytes", "action", "log_status",
        ],
        partitionColumn: "start_time",
        conflictKey: ["flow_hash", "start_time"],
        onConflict: .skip,
        directKeyTypes: ["bigint", "timestamptz"]
    )

    static let guardDuty = LoadTarget(
        table: "guardduty_finding",
        columns: [
            "finding_id", "account_id", "region", "finding_type", "severity", "title", "resource_type", "resource_ids",
            "created_at", "updated_at", "record",
        ],
        partitionColumn: nil,
        conflictKey: ["finding_id"],
        onConflict: .refresh(
            columns: ["account_id", "region", "finding_type", "severity", "title", "resource_type", "resource_ids", "updated_at", "record"],
            condition: "guardduty_finding.updated_at < EXCLUDED.updated_at",
            preferring: "updated_at DESC"
        )
    )

    static let intel = LoadTarget(
        table: "intel_indicator",
        columns: ["feed", "network", "score", "source", "first_seen", "last_seen", "expires_at"],
        partitionColumn: nil,
        conflictKey: ["feed", "network"],
        onConflict: .refresh(columns: ["score", "source", "first_seen", "last_seen", "expires_at", "loaded_at"], condition: nil, preferring: nil)
    )

    static let auth = LoadTarget(
        table: "auth_event",
        columns: ["event_hash", "event_time", "user_name", "source_ip", "success", "error_code", "country", "asn"],
        partitionColumn: "event_time",
        conflictKey: ["event_hash", "event_time"],
        onConflict: .skip,
        directKeyTypes: ["bigint", "timestamptz"]
    )

    var columnList: String { columns.joined(separator: ", ") }

    /// The INSERT from the staging table; returns one row: (inserted, touched).
    func insertStatement(from stage: String) -> String {
        let conflict: String
        // Partitioned tables cannot return system columns; with DO NOTHING every returned row is new anyway.
        var inserted = "(xmax = 0)"
        // In key order, so concurrent loaders wait for each other's keys in one order and cannot deadlock.
        let key = conflictKey.joined(separator: ", ")
        var source = "SELECT \(columnList) FROM \(stage) ORDER BY \(key)"
        switch onConflict {
        case .skip:
            conflict = "DO NOTHING"
            inserted = "true"
        case .refresh(let updated, let condition, let preferring):
            // DO UPDATE may not touch a row twice in one statement: one staged row per key.
            source = "SELECT DISTINCT ON (\(key)) \(columnList) FROM \(stage) ORDER BY \(key)" + (preferring.map { ", \($0)" } ?? "")
            let sets = updated.map { $0 == "loaded_at" ? "loaded_at = now()" : "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
            conflict = "DO UPDATE SET \(sets)" + (condition.map { " WHERE \($0)" } ?? "")
        }
        var summarised: [String] = []
        for column in summaries.flatMap(\.sourceColumns) where !summarised.contains(column) { summarised.append(column) }
        let activity = summaries.enumerated().map { ", activity\($0.offset) AS (\($0.element.upsert("written")))" }.joined()
        return """
            WITH written AS (
                INSERT INTO \(table) (\(columnList)) \(source)
                ON CONFLICT (\(conflictKey.joined(separator: ", "))) \(conflict)
                RETURNING \(([inserted + " AS inserted"] + summarised).joined(separator: ", "))
            )\(activity)
            SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) AS touched FROM written
            """
    }
}
