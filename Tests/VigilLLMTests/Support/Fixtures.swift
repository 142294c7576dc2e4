import AsyncHTTPClient
import Foundation
import Testing
import VigilCore
import VigilLLM
import VigilPostgres
import VigilSchema
import VigilSimulator
import VigilTestSupport

/// A provider configuration pointing at a running simulator.
func providerConfiguration(_ kind: LLMProviderConfiguration.Kind, _ sim: RunningSimulator, key: String = "test-key") -> LLMProviderConfiguration {
    LLMProviderConfiguration(kind: kind, baseURL: sim.baseURL, model: kind == .anthropic ? nil : "qwen2.5-7b-instruct", apiKey: .value(key))
}

/// An agent against `sim` with fake tools; `behaviour` is sent as `x-sim-behaviour`.
func makeAgent(
    _ kind: LLMProviderConfiguration.Kind,
    _ sim: RunningSimulator,
    tools: any InvestigationTools = FakeInvestigationTools(),
    behaviour: String? = nil,
    limiter: any LLMRateLimiter = UnlimitedRateLimiter(),
    client clientConfiguration: LLMClient.Configuration = LLMClient.Configuration(initialBackoff: .milliseconds(20)),
    configure: (inout TriageAgent.Configuration) -> Void = { _ in }
) throws -> TriageAgent {
    let provider = try providerConfiguration(kind, sim).makeProvider()
    let client = LLMClient(provider: provider, limiter: limiter, configuration: clientConfiguration)
    var configuration = TriageAgent.Configuration(callTimeout: .seconds(60), deadline: .seconds(180))
    if let behaviour { configuration.extraHeaders = [("x-sim-behaviour", behaviour)] }
    configure(&configuration)
    return TriageAgent(client: client, tools: tools, configuration: configuration)
}

/// The simulator's request log as JSON bodies (only requests whose body parsed).
func loggedBodies(_ sim: RunningSimulator) -> [JSONValue] {
    sim.simulator.requestLog().compactMap { try? JSONParser().parse($0.body) }
}

/// An isolated schema on the test server (`DATABASE_URL`, started by `scripts/test.sh`), migrated.
struct TestDatabase {
    let schema: String
    let pool: PostgresPool

    private static func make() async throws -> TestDatabase {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw TestSetupError("DATABASE_URL is not set: run the tests with scripts/test.sh, which starts PostgreSQL")
        }
        var configuration = PostgresConfiguration(connectionString: url)
        let schema = "t_llm_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let admin = try await PostgresConnection.connect(configuration)
        try await admin.executeScript("CREATE SCHEMA \(schema)")
        await admin.close()
        configuration.searchPath = String(schema)
        configuration.maxConnections = 8
        let pool = PostgresPool(configuration: configuration)
        _ = try await VigilSchema.migrator().migrate(pool)
        return TestDatabase(schema: String(schema), pool: pool)
    }

    /// Runs `body` with a fresh migrated schema, then drops it, after a return and after a throw alike (then rethrows).
    static func with<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        try await withCleanup(make(), cleanup: { await $0.drop() }, body)
    }

    private func drop() async {
        await pool.close()
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"],
            let admin = try? await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
        else { return }
        try? await admin.executeScript("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        await admin.close()
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
