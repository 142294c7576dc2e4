import Foundation
import Testing
import VigilCore
import VigilEnrichment
import VigilPostgres
import VigilSchema

/// `lookup_ip_reputation`'s principals seen from an address, read from the hourly per-address summary
/// (`cloudtrail_address_activity`, migration 15) and the raw events of the hour holding "now": the same answer as an
/// aggregation of every raw event. The loader keeping the summary exact is checked by ``PrincipalActivityTests``.
@Suite struct AddressActivityTests {
    /// The shared data's busiest addresses (2,154, 281 and 89 events over 2023-07-10 11:00-12:33, one with events at
    /// exactly 12:00:00 and 11:59:59), one written as an IPv4-mapped IPv6 address, and one whose event has no principal.
    static let addresses = ["192.168.10.20", "10.8.8.10", "10.248.16.43", "::ffff:192.168.10.20"]

    /// "Now" inside an hour that has events from the addresses (cut rows), exactly at an event and at an hour's start,
    /// before an hour's first event, and after all of them.
    @Test(arguments: [
        "2023-07-10T12:17:31Z", "2023-07-10T12:00:00Z", "2023-07-10T11:59:59Z", "2023-07-10T11:50:00Z", "2023-07-10T12:29:09Z",
        "2023-07-10T13:00:00.5Z", "2023-10-07T12:30:00Z",
    ])
    func principalsSeenEqualTheRawEvents(now: String) async throws {
        try await ToolTests.withTools(now: now) { database, tools in
            let until = RFC3339.parse(now)!
            let nameless = try await database.pool.query(
                "SELECT host(source_ip) AS a FROM cloudtrail_event WHERE principal_arn IS NULL AND source_ip IS NOT NULL ORDER BY 1 LIMIT 1")
            let addresses = Self.addresses + [try nameless[0].decode(String.self, column: "a")]
            var seen = 0
            for address in addresses {
                let result = await tools.call(name: "lookup_ip_reputation", arguments: ["ip_address": .string(address)])
                let summary = try #require(result.content["summary"], "\(address) at \(now): \(result.content)")
                let unmapped = address.hasPrefix("::ffff:") ? String(address.dropFirst(7)) : address
                let raw = try await database.pool.query(
                    """
                    SELECT coalesce(principal_arn, '') AS p, count(*)::int AS n, min(event_time) AS f, max(event_time) AS l
                    FROM cloudtrail_event WHERE source_ip = ANY ($1::inet[]) AND event_time <= $2 GROUP BY 1 ORDER BY n DESC, 1
                    """,
                    ["{\(unmapped),::ffff:\(unmapped)}", until]
                )
                let expected: [JSONValue] = try raw.prefix(10).map { row in
                    [
                        "principal_arn": .string(try row.decode(String.self, column: "p")), "events": .int(Int64(try row.decode(Int.self, column: "n"))),
                        "first_seen": .string(RFC3339.format(try row.decode(Date.self, column: "f"))),
                        "last_seen": .string(RFC3339.format(try row.decode(Date.self, column: "l"))),
                    ]
                }
                #expect(summary["principals_seen_from_address"]?.arrayValue == expected, "\(address) at \(now)")
                #expect(summary["principals_omitted"] == .bool(raw.count > 10), "\(address) at \(now)")
                #expect(summary["seen_in_cloudtrail"] == .bool(!raw.isEmpty), "\(address) at \(now)")
                seen += raw.count
            }
            if until > RFC3339.parse("2023-07-10T12:00:00Z")! { #expect(seen > 0, "the addresses have events before \(now)") }
        }
    }

    /// A database that had events before migration 15 gets them summarised by the migration itself.
    @Test func theMigrationSummarisesEventsStoredBefore() async throws {
        let before = Array(VigilSchema.migrations.filter { $0.version < 15 })
        try await EnrichmentDatabase.with(migrations: before) { database in
            #expect(try await database.count("SELECT count(*) FROM pg_class WHERE oid = to_regclass('cloudtrail_address_activity')") == 0)
            try await database.pool.query(
                "SELECT vigil_ensure_day_partitions('cloudtrail_event', ARRAY['2023-07-10'::date, '2023-07-11'::date])")
            try await database.pool.query(
                """
                INSERT INTO cloudtrail_event (event_id, event_time, event_source, event_name, principal_arn, source_address, source_ip, record)
                SELECT 'e' || i, '2023-07-10T23:00:00Z'::timestamptz + i * interval '7 minutes', 's3.amazonaws.com', 'GetObject',
                       CASE WHEN i % 5 = 0 THEN NULL ELSE 'arn:aws:iam::1:user/u' || (i % 3) END,
                       CASE WHEN i % 7 = 0 THEN 'AWS Internal' ELSE '10.0.0.' || (i % 4) END,
                       CASE WHEN i % 7 = 0 THEN NULL ELSE ('10.0.0.' || (i % 4))::inet END, '{}'
                FROM generate_series(1, 40) i
                """)
            try await VigilSchema.migrator().migrate(database.pool)
            #expect(try await database.count("SELECT sum(events)::int FROM cloudtrail_address_activity") == 40 - 5)
            #expect(try await PrincipalActivityTests.addressDifferences(database) == 0)
            #expect(try await database.count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'cloudtrail_address_activity'::regclass") == 2)
        }
    }
}
