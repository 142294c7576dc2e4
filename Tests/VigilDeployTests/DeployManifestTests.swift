import Foundation
import Testing
import VigilCore
import VigilPostgres
import VigilSchema
import VigilTestSupport
import Yams

/// Every YAML and JSON file under `deploy/` parses and holds what its consumer requires. No cluster runs here, so
/// these checks stand in for `kubectl apply --dry-run`, `promtool check rules` and Grafana's import.
@Suite struct DeployManifestTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy")

    static func files(_ extensions: Set<String>, under folder: String = "") throws -> [URL] {
        let root = folder.isEmpty ? deploy : deploy.appendingPathComponent(folder)
        let enumerator = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
        return enumerator.compactMap { $0 as? URL }.filter { extensions.contains($0.pathExtension) }.sorted { $0.path < $1.path }
    }

    static func yamlDocuments(_ url: URL) throws -> [[String: Any]] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try Yams.load_all(yaml: text).compactMap { $0 as? [String: Any] }
    }

    static func kubernetesObjects() throws -> [(file: String, object: [String: Any])] {
        try files(["yaml", "yml"], under: "kubernetes").flatMap { url in try yamlDocuments(url).map { (url.lastPathComponent, $0) } }
    }

    /// `object[a][b]…`, through dictionaries.
    static func value(_ object: Any?, _ path: String...) -> Any? {
        path.reduce(object) { ($0 as? [String: Any])?[$1] }
    }

    /// The Vigil metric names an expression uses, without histogram suffixes.
    static func metricNames(in expression: String) -> Set<String> {
        let pattern = /vigil_[a-z0-9_]+/
        return Set(expression.matches(of: pattern).map { match in
            var name = String(match.output)
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && !MetricName.all.contains(name) {
                name = String(name.dropLast(suffix.count))
            }
            return name
        })
    }

    @Test func everyYAMLAndJSONFileParses() throws {
        let yaml = try Self.files(["yaml", "yml"])
        let json = try Self.files(["json"])
        #expect(yaml.count >= 8 && json.count >= 2, "deploy/ holds the manifests")
        for url in yaml {
            let documents = try Self.yamlDocuments(url)
            #expect(!documents.isEmpty, "\(url.lastPathComponent) holds no mapping")
        }
        for url in json {
            #expect(throws: Never.self, "\(url.lastPathComponent)") { try JSONParser().parse(String(contentsOf: url, encoding: .utf8)) }
        }
    }

    @Test func kubernetesObjectsHaveKindAPIVersionAndMetadata() throws {
        let objects = try Self.kubernetesObjects()
        #expect(objects.count >= 9)
        for (file, object) in objects {
            #expect((object["apiVersion"] as? String)?.isEmpty == false, "\(file): apiVersion")
            #expect((object["kind"] as? String)?.isEmpty == false, "\(file): kind")
            #expect((Self.value(object, "metadata", "name") as? String)?.isEmpty == false, "\(file): metadata.name")
            if object["kind"] as? String != "Namespace" {
                #expect(Self.value(object, "metadata", "namespace") as? String == "vigil", "\(file): metadata.namespace")
            }
        }
        let kinds = Set(objects.compactMap { $0.object["kind"] as? String })
        #expect(kinds.isSuperset(of: ["Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget", "ScaledObject", "Job"]))
    }

    @Test func deploymentsProbeHealthAndReadinessAndWorkersMayDrain() throws {
        let objects = try Self.kubernetesObjects().map(\.object)
        let deployments = objects.filter { $0["kind"] as? String == "Deployment" }
        #expect(deployments.count == 2)
        let budgets = objects.filter { $0["kind"] as? String == "PodDisruptionBudget" }
        for deployment in deployments {
            let name = try #require(Self.value(deployment, "metadata", "name") as? String)
            let labels = try #require(Self.value(deployment, "spec", "selector", "matchLabels") as? [String: String])
            let podLabels = Self.value(deployment, "spec", "template", "metadata", "labels") as? [String: String] ?? [:]
            #expect(labels.allSatisfy { podLabels[$0.key] == $0.value }, "\(name): the selector matches the pod labels")
            let budgeted = budgets.contains { (Self.value($0, "spec", "selector", "matchLabels") as? [String: String]) == labels }
            #expect(budgeted, "\(name): a PodDisruptionBudget")
            let spec = try #require(Self.value(deployment, "spec", "template", "spec") as? [String: Any])
            let containers = try #require(spec["containers"] as? [[String: Any]])
            for container in containers {
                #expect(Self.value(container, "livenessProbe", "httpGet", "path") as? String == "/healthz", "\(name): liveness on /healthz")
                #expect(Self.value(container, "readinessProbe", "httpGet", "path") as? String == "/readyz", "\(name): readiness on /readyz")
                let args = container["args"] as? [String] ?? []
                if let index = args.firstIndex(of: "--drain-timeout") {
                    let drain = try #require(Double(args[index + 1]))
                    let grace = try #require(spec["terminationGracePeriodSeconds"] as? Int)
                    // Drain, then hand back and release the leases: at least five seconds beyond the drain.
                    #expect(Double(grace) >= drain + 5, "\(name): terminationGracePeriodSeconds \(grace) vs drain \(drain)")
                }
            }
        }
        let containers = deployments.flatMap { Self.value($0, "spec", "template", "spec", "containers") as? [[String: Any]] ?? [] }
        #expect(containers.contains { ($0["args"] as? [String])?.contains("--drain-timeout") == true }, "the worker states its drain timeout")
    }

    static func scaledObjectQuery() throws -> (query: String, target: String, object: [String: Any]) {
        let scaled = try #require(try kubernetesObjects().first { $0.object["kind"] as? String == "ScaledObject" }?.object)
        let triggers = try #require(value(scaled, "spec", "triggers") as? [[String: Any]])
        let postgres = try #require(triggers.first { $0["type"] as? String == "postgresql" })
        let query = try #require(value(postgres, "metadata", "query") as? String)
        let target = try #require(value(postgres, "metadata", "targetQueryValue") as? String)
        return (query, target, scaled)
    }

    @Test func scaledObjectUsesThePostgreSQLScalerOnTheWorkerDeployment() throws {
        let (query, target, scaled) = try Self.scaledObjectQuery()
        #expect(!query.isEmpty && Double(target) != nil)
        #expect(Self.value(scaled, "spec", "scaleTargetRef", "name") as? String == "vigil-worker")
        let triggers = try #require(Self.value(scaled, "spec", "triggers") as? [[String: Any]])
        #expect(Self.value(triggers[0], "metadata", "connectionFromEnv") as? String == "DATABASE_URL")
    }

    @Test func scaledObjectQueryRunsAgainstTheMigratedSchemaAndCountsTheBacklog() async throws {
        let (query, _, _) = try Self.scaledObjectQuery()
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            Issue.record("DATABASE_URL is not set: run the tests with scripts/test.sh, which starts PostgreSQL")
            return
        }
        try await Self.withSchema(on: url) { pool in
            try await VigilSchema.migrator().migrate(pool)
            #expect(try await pool.query(query)[0].decode(Int.self, at: 0) == 0)
            // Two due, one running, one scheduled for later (a retry's backoff): the backlog is three.
            try await pool.query(
                """
                WITH a AS (
                    INSERT INTO alert (shard, id, source, external_id, kind, severity, occurred_at, payload)
                    SELECT g, gen_random_uuid(), 'k', 'e' || g, 'k', 'low', now(), '{}' FROM generate_series(0, 3) g RETURNING shard, id
                )
                INSERT INTO triage_job (shard, alert_id, state, owner, run_at)
                SELECT shard, id, CASE WHEN shard = 2 THEN 'running' ELSE 'ready' END, CASE WHEN shard = 2 THEN 'worker-a' END,
                    CASE WHEN shard = 3 THEN now() + interval '1 hour' ELSE now() END FROM a
                """)
            let rows = try await pool.query(query)
            #expect(rows.count == 1, "KEDA reads one row")
            #expect(try rows[0].decode(Int.self, at: 0) == 3)
        }
    }

    /// Runs `body` with a pool on a fresh schema of the server at `url`, then closes the pool and drops the schema,
    /// after a return and after a throw alike (then rethrows).
    static func withSchema(on url: String, _ body: (PostgresPool) async throws -> Void) async throws {
        let schema = "d_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        let admin = try await PostgresConnection.connect(PostgresConfiguration(connectionString: url))
        try await admin.executeScript("CREATE SCHEMA \(schema)")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, maxConnections: 2, searchPath: String(schema)))
        try await withCleanup(pool, cleanup: { pool in
            await pool.close()
            try? await admin.executeScript("DROP SCHEMA \(schema) CASCADE")
            await admin.close()
        }, body)
    }

    @Test func dashboardPanelsHaveTargetsOnKnownMetrics() throws {
        let url = Self.deploy.appendingPathComponent("grafana/vigil-dashboard.json")
        let dashboard = try JSONParser().parse(String(contentsOf: url, encoding: .utf8))
        let panels = try #require(dashboard["panels"]?.arrayValue)
        #expect(panels.count >= 10)
        var used: Set<String> = []
        for panel in panels {
            let title = panel["title"]?.stringValue ?? "?"
            let targets = panel["targets"]?.arrayValue ?? []
            #expect(!targets.isEmpty, "panel \(title) has no targets")
            for target in targets {
                let expression = try #require(target["expr"]?.stringValue, "panel \(title)")
                #expect(!expression.isEmpty)
                used.formUnion(Self.metricNames(in: expression))
            }
        }
        #expect(used.subtracting(MetricName.all).isEmpty, "unknown metrics: \(used.subtracting(MetricName.all))")
        let expected: Set = [MetricName.backlog, MetricName.triageDuration, MetricName.verdicts, MetricName.llmCircuitOpen, MetricName.leaseMoves]
        #expect(expected.isSubset(of: used))
    }

    @Test func alertRulesHaveExpressionsOnKnownMetrics() throws {
        let documents = try Self.yamlDocuments(Self.deploy.appendingPathComponent("prometheus/vigil-alerts.yaml"))
        let groups = try #require(documents.first?["groups"] as? [[String: Any]])
        var count = 0
        for group in groups {
            #expect((group["name"] as? String)?.isEmpty == false)
            for rule in try #require(group["rules"] as? [[String: Any]]) {
                count += 1
                let name = rule["alert"] as? String ?? "?"
                let expression = try #require(rule["expr"] as? String, "rule \(name) has no expr")
                #expect(!expression.isEmpty)
                #expect(Self.metricNames(in: expression).subtracting(MetricName.all).isEmpty, "rule \(name) uses an unknown metric")
                #expect(Self.value(rule, "labels", "severity") != nil, "rule \(name) has no severity")
                #expect(Self.value(rule, "annotations", "summary") != nil, "rule \(name) has no summary")
            }
        }
        #expect(count >= 8)
    }

    @Test func composeRunsEveryPartAndLetsWorkersDrain() throws {
        let compose = try #require(try Self.yamlDocuments(Self.deploy.appendingPathComponent("compose/compose.yaml")).first)
        let services = try #require(compose["services"] as? [String: Any])
        #expect(Set(services.keys).isSuperset(of: ["postgres", "migrate", "coordinator", "worker", "llm-sim"]))
        let worker = try #require(services["worker"] as? [String: Any])
        #expect(worker["ports"] == nil, "published ports would stop `--scale worker=N`")
        let command = try #require(worker["command"] as? [String])
        let drain = try #require(command.firstIndex(of: "--drain-timeout").flatMap { Double(command[$0 + 1]) })
        let grace = try #require((worker["stop_grace_period"] as? String).flatMap { Double($0.dropLast()) })
        #expect(grace >= drain + 5)
    }

    @Test func systemdWorkerStopTimeoutExceedsTheDrain() throws {
        let unit = try String(contentsOf: Self.deploy.appendingPathComponent("systemd/vigil-worker@.service"), encoding: .utf8)
        let environment = try String(contentsOf: Self.deploy.appendingPathComponent("systemd/worker.env"), encoding: .utf8)
        let stop = try #require(unit.split(separator: "\n").first { $0.hasPrefix("TimeoutStopSec=") }.flatMap { Double($0.dropFirst(15)) })
        let drainLine = environment.split(separator: "\n").first { $0.hasPrefix("VIGIL_DRAIN_TIMEOUT=") }
        let drain = try #require(drainLine.flatMap { Double($0.dropFirst(20)) })
        #expect(stop >= drain + 5)
        #expect(unit.contains("KillSignal=SIGTERM") && unit.contains("--drain-timeout ${VIGIL_DRAIN_TIMEOUT}"))
    }
}
