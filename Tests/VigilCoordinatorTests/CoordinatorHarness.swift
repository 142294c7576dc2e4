import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import VigilCoordinator
import VigilCore
import VigilPostgres
import VigilQueue
import VigilSchema
import VigilTestSupport

/// A migrated schema of its own on the test server, and a coordinator over it.
struct CoordinatorHarness {
    let schema: String
    let pool: PostgresPool
    let coordinator: Coordinator
    let ingestToken: String
    let readToken: String

    private static func make(_ adjust: (inout CoordinatorConfiguration) -> Void = { _ in }) async throws -> CoordinatorHarness {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw HarnessError("DATABASE_URL is not set: run the tests with scripts/test.sh, which starts PostgreSQL")
        }
        let schema = "c_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        let admin = try await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
        try await admin.executeScript("CREATE SCHEMA \(schema)")
        await admin.close()
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: 6, searchPath: String(schema)))
        try await VigilSchema.migrator().migrate(pool)
        try await ClusterSettings.ensureShardCount(pool, requested: 16)
        var configuration = CoordinatorConfiguration(port: 0, backlogInterval: .milliseconds(50))
        adjust(&configuration)
        let coordinator = try Coordinator(
            configuration: configuration, pool: pool, router: try await Coordinator.shardRouter(pool), logger: Logger(label: "test")
        )
        let tokens = TokenStore(pool: pool)
        return CoordinatorHarness(
            schema: String(schema),
            pool: pool,
            coordinator: coordinator,
            ingestToken: try await tokens.create(name: "siem", scopes: [.ingest]),
            readToken: try await tokens.create(name: "reader", scopes: [.read])
        )
    }

    /// Runs `body` with a fresh harness (its configuration changed by `adjust`), then drops its schema,
    /// after a return and after a throw alike (then rethrows).
    static func with<T>(
        _ adjust: (inout CoordinatorConfiguration) -> Void = { _ in }, _ body: (CoordinatorHarness) async throws -> T
    ) async throws -> T {
        try await withCleanup(make(adjust), cleanup: { await $0.drop() }, body)
    }

    private func drop() async {
        await pool.close()
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"],
            let admin = try? await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
        else { return }
        try? await admin.executeScript("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        await admin.close()
    }

    func count(_ table: String) async throws -> Int {
        try await pool.query("SELECT count(*) AS n FROM \(table)")[0].decode(Int.self, column: "n")
    }

    func headers(token: String?, contentType: String = "application/x-ndjson") -> HTTPFields {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        fields[.contentType] = contentType
        return fields
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One alert as NDJSON text.
func alertLine(
    _ externalID: String,
    source: String = "siem",
    principal: String? = "arn:aws:iam::123456789012:user/alice",
    severity: String = "high",
    payload: String = #"{"eventName":"CreateRole"}"#
) -> String {
    var fields = [
        #""source":"\#(source)""#, #""external_id":"\#(externalID)""#, #""kind":"cloudtrail""#,
        #""severity":"\#(severity)""#, #""occurred_at":"2026-11-26T10:00:00Z""#, #""payload":\#(payload)"#,
    ]
    if let principal { fields.append(#""principal":"\#(principal)""#) }
    return "{" + fields.joined(separator: ",") + "}"
}

func json(_ response: TestResponse) throws -> JSONValue {
    try JSONParser().parse(response.body.readableBytesView)
}
