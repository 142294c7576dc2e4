import VigilPostgres

/// Vigil's database schema: the numbered migrations in `sql/migrations/`, embedded in the binary.
///
/// Adding a migration: add `sql/migrations/NNNN_name.sql`, its `.embedInCode` resource is generated
/// by SwiftPM, and list it below (a test fails when a file is not listed).
public enum VigilSchema {
    public static let migrations: [Migration] = [
        migration(1, "foundation", PackageResources._001_foundation_sql),
        migration(2, "job_queue", PackageResources._002_job_queue_sql),
        migration(3, "enrichment", PackageResources._003_enrichment_sql),
        migration(4, "llm_rate_limit", PackageResources._004_llm_rate_limit_sql),
        migration(5, "review", PackageResources._005_review_sql),
        migration(6, "notifications", PackageResources._006_notifications_sql),
        migration(7, "principal_activity", PackageResources._007_principal_activity_sql),
        migration(8, "roles", PackageResources._008_roles_sql),
        migration(9, "queue_throughput", PackageResources._009_queue_throughput_sql),
        migration(10, "alert_write_cost", PackageResources._010_alert_write_cost_sql),
        migration(11, "watch_list_escalation", PackageResources._011_watch_list_escalation_sql),
        migration(12, "completion_function", PackageResources._012_completion_function_sql),
        migration(13, "verdict_storage", PackageResources._013_verdict_storage_sql),
        migration(14, "plan_invalidations", PackageResources._014_plan_invalidations_sql),
        migration(15, "address_activity", PackageResources._015_address_activity_sql),
        migration(16, "partition_attach", PackageResources._016_partition_attach_sql),
    ]

    /// The migrator for this binary's schema.
    public static func migrator() throws(PostgresError) -> Migrator {
        try Migrator(migrations: migrations)
    }

    private static func migration(_ version: Int, _ name: String, _ bytes: [UInt8]) -> Migration {
        Migration(version: version, name: name, sql: String(decoding: bytes, as: UTF8.self))
    }
}
