import Foundation
import HummingbirdTesting
import Testing
import VigilCoordinator
import VigilCore
import VigilPostgres

/// The console in a real browser: headless Chromium (Debian `chromium`), driven over the DevTools protocol by
/// `scripts/console-browser.py`, against the coordinator on a live socket. Screenshots go to
/// `.artifacts/console/` at the repository root. Fails (never skips) when Chromium is missing.
@Suite("Review console in headless Chromium", .serialized)
struct ConsoleBrowserTests {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test("sign in, open an escalation, close it with a reason; a script tag in an alert field is shown as text and never runs")
    func browser() async throws {
        try await CoordinatorHarness.with { harness in
            let token = try await TokenStore(pool: harness.pool).create(name: "browser-analyst", scopes: [.review])
            let artifacts = Self.repositoryRoot.appendingPathComponent(".artifacts/console")
            try? FileManager.default.removeItem(at: artifacts)
            try await harness.coordinator.application().test(.live) { client in
                let port = try #require(client.port)
                let id = try await harness.seedEscalation(client, externalID: "b-1")
                let hostile = #"<script>document.title='pwned';window.vigilPwned=1</script><img src=x onerror="window.vigilPwned=1">"#
                let hostileID = try await harness.seedEscalation(
                    client,
                    externalID: "b-2",
                    principal: hostile,
                    payload: #"{"cmd":"</pre><script>window.vigilPwned=2</script>"}"#
                )
                let run = try await Self.run([
                    "python3", Self.repositoryRoot.appendingPathComponent("scripts/console-browser.py").path,
                    "--base", "http://localhost:\(port)", "--token", token,
                    "--escalation", id.uuidString.lowercased(), "--hostile", hostileID.uuidString.lowercased(), "--out", artifacts.path,
                ])
                #expect(run.status == 0, "console-browser.py failed: \(run.stderr)")
                let seen = try JSONParser().parse(run.stdout.split(separator: "\n").last.map(String.init) ?? "")

                // Signed in as the token's name; the session cookie is invisible to page script (HttpOnly).
                #expect(seen["actor"] == "browser-analyst")
                #expect(seen["document_cookie"] == "")
                #expect(seen["queue_rows"] == 2)
                // The detail page shows everything behind the escalation.
                #expect(seen["detail_state"] == "open")
                let sections = seen["detail_sections"]?.arrayValue?.compactMap(\.stringValue) ?? []
                for section in ["Review", "Alert", "Verdict", "Rule hits", "Evidence", "Triage: ai", "Audit trail"] {
                    #expect(sections.contains(section), "missing section \(section)")
                }
                #expect(seen["rule_authors"] == ["Vigil SOC <soc@example.com>"])
                // Closed with the reason, audited.
                #expect(seen["closed_state"] == "closed")
                #expect(seen["closed_reason"] == "Benign: approved change CHG-1234 (browser test)")
                #expect(seen["audit_actions"] == ["close"])
                // The hostile alert: its markup is text, nothing ran, no element was injected.
                let page = try #require(seen["hostile"])
                #expect(page["title"] == "Escalation · Vigil review")
                #expect(page["pwned"] == false)
                #expect(page["scripts"] == 0)
                #expect(page["images"] == 0)
                #expect(page["principalText"]?.stringValue?.contains("<script>document.title='pwned';window.vigilPwned=1</script>") == true)
                #expect(page["payloadText"]?.stringValue?.contains("</pre><script>window.vigilPwned=2</script>") == true)
                // Screenshots saved.
                let shots = seen["screenshots"]?.arrayValue?.compactMap(\.stringValue) ?? []
                #expect(shots.count == 5)
                for shot in shots {
                    let size = (try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
                    #expect(size > 1000, "screenshot \(shot) is missing or empty")
                }
            }
            // The database agrees with what the browser showed.
            let rows = try await harness.pool.query("SELECT state, close_reason, updated_by FROM escalation_review")
            #expect(rows.count == 1)
            #expect(try rows.first?.decode(String.self, column: "state") == "closed")
            #expect(try rows.first?.decode(String.self, column: "close_reason") == "Benign: approved change CHG-1234 (browser test)")
            #expect(try rows.first?.decode(String.self, column: "updated_by") == "browser-analyst")
            let audit = try await harness.pool.query("SELECT actor, action, previous->>'state' AS before, new->>'state' AS after FROM review_audit")
            #expect(audit.count == 1)
            #expect(try audit.first?.decode(String.self, column: "before") == "open")
            #expect(try audit.first?.decode(String.self, column: "after") == "closed")
        }
    }

    /// Runs a process to completion on a thread of its own; returns its exit status and output.
    static func run(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = arguments
                let out = Pipe()
                let err = Pipe()
                process.standardOutput = out
                process.standardError = err
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                let stdout = out.fileHandleForReading.readDataToEndOfFile()
                let stderr = err.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(
                    returning: (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
                )
            }
            thread.start()
        }
    }
}
