import Foundation
import Testing
import VigilPostgres

#if canImport(Glibc)
import Glibc
#endif

/// `vigil demo` run as a user runs it: the built binary, its child processes, a real PostgreSQL.
@Suite(.serialized)
struct DemoEndToEndTests {
    /// A small data folder: a few Stratus Red Team detonations and the SigmaHQ CloudTrail rules from `../shared/data`.
    static func smallDataFolder() throws -> URL {
        let shared = ChildUnderTest.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
        let stratus = shared.appendingPathComponent("cloudtrail/stratus-red-team")
        guard FileManager.default.fileExists(atPath: stratus.path) else {
            throw DemoTestError("the shared data set is missing: expected \(stratus.path) (see the README's data section)")
        }
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vigil-demo-data-\(UUID().uuidString.prefix(8))")
        let target = folder.appendingPathComponent("cloudtrail/stratus-red-team")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for name in [
            "aws.persistence.iam-create-admin-user.json", "aws.defense-evasion.cloudtrail-stop.json",
            "aws.exfiltration.ec2-share-ebs-snapshot.json", "aws.persistence.iam-backdoor-user.json",
            "aws.initial-access.console-login-without-mfa.json",
        ] {
            try FileManager.default.copyItem(at: stratus.appendingPathComponent(name), to: target.appendingPathComponent(name))
        }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sigma"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: folder.appendingPathComponent("sigma/aws-cloudtrail"), withDestinationURL: shared.appendingPathComponent("sigma/aws-cloudtrail"))
        return folder
    }

    /// The environment without a configured LLM provider (so the demo starts the simulator).
    static func environment(databaseURL: String?) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in ["DATABASE_URL", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "VIGIL_LLM_PROVIDER", "VIGIL_LLM_BASE_URL", "VIGIL_LLM_MODEL"] {
            environment[key] = nil
        }
        environment["DATABASE_URL"] = databaseURL
        return environment
    }

    @Test func everyIngestedAlertGetsAVerdictAndTheSummaryIsPrinted() async throws {
        let server = try await ThrowawayServer.start()
        let data = try Self.smallDataFolder()
        defer { try? FileManager.default.removeItem(at: data) }
        let state = data.appendingPathComponent("state").path
        let demo = try ChildUnderTest(
            [try ChildUnderTest.vigil, "demo", "--workers", "2", "--noise", "15", "--data", data.path, "--state-directory", state,
             "--llm-latency-ms", "50", "--timeout", "240"],
            environment: Self.environment(databaseURL: server.url))
        let code = await demo.waitForExit(timeout: .seconds(300))
        let output = demo.output
        #expect(code == 0, "vigil demo exited with \(code.map(String.init) ?? "timeout"):\n\(output)")
        #expect(output.contains("== vigil demo: summary =="))
        #expect(output.contains("latency:     p50"))
        #expect(output.contains("review console: http://127.0.0.1:"))
        #expect(output.contains("LLM:         the local LLM simulator"))

        // The summary's own count, and the database's: every alert of the run has exactly one verdict.
        let summary = output.split(separator: "\n").first { $0.hasPrefix("alerts:") && $0.contains("acknowledged") }
        let numbers = summary.map { $0.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) } } ?? []
        #expect(numbers.count >= 4 && numbers[0] > 0 && numbers[0] == numbers[3], "summary line: \(summary ?? "missing")")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: server.url))
        let row = try await pool.query(
            """
            SELECT count(*) AS alerts, count(v.alert_id) AS verdicts, count(*) FILTER (WHERE a.source = 'sigma') AS detections
            FROM alert a LEFT JOIN verdict v ON v.shard = a.shard AND v.alert_id = a.id
            """)[0]
        let alerts = try row.decode(Int.self, column: "alerts")
        #expect(alerts == numbers.first)
        #expect(try row.decode(Int.self, column: "verdicts") == alerts)
        #expect(try row.decode(Int.self, column: "detections") > 0)
        let tokens = try await pool.query("SELECT count(*) AS n FROM api_token")[0].decode(Int.self, column: "n")
        #expect(tokens == 1)
        await pool.close()
        await server.stop()
    }

    @Test func sigintMidRunLeavesNoChildProcess() async throws {
        let data = try Self.smallDataFolder()
        defer { try? FileManager.default.removeItem(at: data) }
        let state = data.appendingPathComponent("state")
        // No DATABASE_URL: the private PostgreSQL under the state folder, which must be stopped too.
        let demo = try ChildUnderTest(
            [try ChildUnderTest.vigil, "demo", "--workers", "2", "--noise", "20000", "--data", data.path, "--state-directory", state.path],
            environment: Self.environment(databaseURL: nil))
        let deadline = ContinuousClock.now + .seconds(180)
        while !demo.output.contains("workers:"), ContinuousClock.now < deadline, ChildUnderTest.exists(demo.pid) {
            try await Task.sleep(for: .milliseconds(200))
        }
        try #require(demo.output.contains("workers:"), "the demo never started its workers:\n\(demo.output)")
        try await Task.sleep(for: .seconds(1))
        let children = ChildUnderTest.children(of: demo.pid)
        let postmasterText = try String(contentsOf: state.appendingPathComponent("postgres/data/postmaster.pid"), encoding: .utf8)
        let postmaster = try #require(pid_t(postmasterText.split(separator: "\n")[0]))
        #expect(children.count >= 4, "expected the simulator, the coordinator and 2 workers, found \(children)")
        #expect(ChildUnderTest.exists(postmaster))

        kill(demo.pid, SIGINT)
        let code = await demo.waitForExit(timeout: .seconds(90))
        #expect(code == 130, "exit \(code.map(String.init) ?? "timeout"):\n\(demo.output)")
        #expect(demo.output.contains("stopped by SIGINT"))
        for child in children { #expect(!ChildUnderTest.exists(child), "child \(child) outlived the demo") }
        var stopped = false
        for _ in 0..<50 where !stopped {
            stopped = !ChildUnderTest.exists(postmaster)
            if !stopped { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(stopped, "the private PostgreSQL (pid \(postmaster)) is still running")
    }
}
