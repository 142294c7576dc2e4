import ArgumentParser
import AsyncHTTPClient
import Foundation
import VigilCore
import VigilEnrichment
import VigilPostgres

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports over the loaded logs, optionally sent to a coordinator as alerts.",
        subcommands: [IAMActivityReportCommand.self, AuthFailuresReportCommand.self]
    )
}

/// Options shared by the reports: the window and where to send alerts.
struct ReportOptions: ParsableArguments {
    @Option(help: "The window's end, RFC 3339 (default: now).")
    var until: String?

    @Option(help: "Post the rows as alerts to this coordinator URL (such as http://127.0.0.1:8080).")
    var emit: String?

    @Option(help: "A bearer token with the ingest scope for --emit (secret); defaults to VIGIL_TOKEN.")
    var token: String?

    @Flag(help: "Print the rows as JSON, one a line.")
    var json = false

    func validate() throws {
        if let until, RFC3339.parse(until) == nil { throw ValidationError("--until must be an RFC 3339 time") }
        if emit != nil, token ?? ProcessInfo.processInfo.environment["VIGIL_TOKEN"] == nil {
            throw ValidationError("--emit needs --token or VIGIL_TOKEN")
        }
    }

    var end: Date { until.flatMap(RFC3339.parse) ?? Date() }

    /// Posts `alerts` to the coordinator when `--emit` was given.
    func emitIfAsked(_ alerts: [JSONValue]) async throws {
        guard let emit, !alerts.isEmpty else { return }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let poster = AlertPoster(url: emit, bearer: token ?? ProcessInfo.processInfo.environment["VIGIL_TOKEN"]!, maxAttempts: 30, client: client)
        do {
            let body = try await poster.post(alerts.map(\.jsonText), label: "report row 1")
            try await client.shutdown()
            let counts = ["accepted", "duplicates", "rejected"].map { "\(body[$0]?.intValue ?? 0) \($0)" }.joined(separator: ", ")
            print("emitted \(alerts.count) alerts: \(counts)")
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

struct IAMActivityReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iam-activity",
        abstract: "IAM persistence calls (CreateRole, AttachRolePolicy, CreateUser, CreateAccessKey, UpdateAssumeRolePolicy, "
            + "PutRolePolicy, AddUserToGroup) per principal, marking calls outside the principal's baseline."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var options: ReportOptions

    @Option(help: "The window, in hours back from --until.")
    var hours = 24

    @Option(help: "The baseline before the window, in days.")
    var baselineDays = 30

    func validate() throws {
        guard hours > 0, baselineDays >= 0 else { throw ValidationError("--hours must be positive and --baseline-days not negative") }
    }

    func run() async throws {
        let pool = PostgresPool(configuration: try await database.configuration())
        let rows: [IAMActivityReport.Row]
        do { rows = try await IAMActivityReport(pool: pool, baselineDays: baselineDays).rows(hours: hours, until: options.end) } catch {
            await pool.close()
            throw error
        }
        await pool.close()
        if options.json {
            for row in rows { print(IAMActivityReport.alert(row)["payload"]!.jsonText) }
        } else {
            print("principal\tevent\tcount\tfirst_seen\tlast_seen\tsource\tbaseline")
            for row in rows {
                let fields = [
                    row.principalARN, row.eventName, String(row.count), RFC3339.format(row.firstSeen), RFC3339.format(row.lastSeen),
                    row.sourceAddress ?? "-", row.outsideBaseline ? "NEW" : "usual",
                ]
                print(fields.joined(separator: "\t"))
            }
        }
        try await options.emitIfAsked(rows.map(IAMActivityReport.alert))
    }
}

struct AuthFailuresReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth-failures",
        abstract: "Authentication failures per user; users over the threshold or failing from an unusual address or country are suspects."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var options: ReportOptions

    @Option(help: "The window, in hours back from --until.")
    var hours = 1

    @Option(help: "Failures above which a user is a suspect.")
    var threshold = 10

    @Flag(help: "List every user with failures, not only suspects.")
    var all = false

    func run() async throws {
        let pool = PostgresPool(configuration: try await database.configuration())
        let rows: [AuthFailureReport.Row]
        let until = options.end
        do { rows = try await AuthFailureReport(pool: pool, threshold: threshold).rows(hours: hours, until: until) } catch {
            await pool.close()
            throw error
        }
        await pool.close()
        let suspects = rows.filter(\.isSuspect)
        let shown = all ? rows : suspects
        if options.json {
            for row in shown { print(AuthFailureReport.alert(row, until: until)["payload"]!.jsonText) }
        } else {
            print("user\tfailures\tsuccesses\tunusual_addresses\tunusual_countries\tsuspect")
            for row in shown {
                let fields = [
                    row.user, String(row.failures), String(row.successes), row.unusualAddresses.joined(separator: ",").nonEmpty,
                    row.unusualCountries.joined(separator: ",").nonEmpty, row.isSuspect ? "yes" : "no",
                ]
                print(fields.joined(separator: "\t"))
            }
            print("auth-failures: \(rows.count) users with failures, \(suspects.count) suspects")
        }
        try await options.emitIfAsked(suspects.map { AuthFailureReport.alert($0, until: until) })
    }
}

extension String {
    fileprivate var nonEmpty: String { isEmpty ? "-" : self }
}
