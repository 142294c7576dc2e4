import ArgumentParser
import Foundation
import VigilEnrichment
import VigilPostgres

extension LoadKind: ExpressibleByArgument {}

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load AWS logs, threat intel or the assets file for the investigation tools (re-loading adds nothing).",
        discussion: """
            KIND is cloudtrail (.json/.json.gz: {"Records":[…]}, arrays, NDJSON), vpcflow (version 2 text, or custom with a \
            header line), guardduty (finding JSON, arrays, {"Findings":[…]}, EventBridge events), intel (IP/CIDR lists or \
            CSV), auth (NDJSON) or assets (YAML). Records that cannot be read are listed with file and position; the others \
            load. Exits 1 when any record was rejected.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "What the files hold: \(LoadKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: LoadKind

    @Argument(help: "Files to load.")
    var paths: [String]

    @Option(help: "intel: the feed's name (default: the file name).")
    var feed: String?

    @Option(help: "intel: how long the indicators stay valid after this load, as 30d, 12h or 'never'.")
    var expiresIn = "30d"

    @Flag(help: "No progress bar.")
    var quiet = false

    func validate() throws {
        guard expiresIn == "never" || PartitionPruner.parseAge(expiresIn) != nil else {
            throw ValidationError("--expires-in must be like 30d, 12h, 45m or never")
        }
    }

    func run() async throws {
        let pool = PostgresPool(configuration: try await database.configuration())
        var loader = EnrichmentLoader(pool: pool)
        loader.intelOptions = IntelFeedParser.Options(feed: feed, expiresIn: expiresIn == "never" ? nil : PartitionPruner.parseAge(expiresIn))
        let progress = ProgressBar(total: paths.count, enabled: !quiet && isatty(2) == 1)
        let started = ContinuousClock.now
        let summary: LoadSummary
        do {
            summary = try await loader.load(kind, paths: paths) { progress.update($0) }
        } catch {
            progress.finish()
            await pool.close()
            throw error
        }
        progress.finish()
        await pool.close()
        for rejection in summary.rejected { FileHandle.standardError.write(Data("rejected \(rejection)\n".utf8)) }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print("load \(kind.rawValue): \(paths.count) files: \(summary) in \(String(format: "%.2f", seconds)) s")
        if !summary.rejected.isEmpty { throw ExitCode(1) }
    }
}

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Drop whole day partitions of CloudTrail, VPC flow and auth events older than a retention age."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Retention, as 90d, 12h or 30m: partitions whose day ends before now minus this are dropped.")
    var olderThan: String

    func validate() throws {
        guard PartitionPruner.parseAge(olderThan) != nil else { throw ValidationError("--older-than must be like 90d, 12h or 30m") }
    }

    func run() async throws {
        let age = PartitionPruner.parseAge(olderThan)!
        let pool = PostgresPool(configuration: try await database.configuration())
        let cutoff = Date().addingTimeInterval(-Double(age.components.seconds))
        let dropped: [String]
        do { dropped = try await PartitionPruner(pool: pool).prune(before: cutoff) } catch {
            await pool.close()
            throw error
        }
        await pool.close()
        for name in dropped { print("dropped \(name)") }
        print("prune: \(dropped.count) partitions dropped (before \(cutoff))")
    }
}
