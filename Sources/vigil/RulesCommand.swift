import ArgumentParser
import Foundation
import VigilRules

/// `vigil rules`: check Sigma rules and run them over CloudTrail files.
struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check Sigma rules and test them on CloudTrail files.",
        subcommands: [Check.self, Test.self, Bench.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load every rule under the given paths; report per-file errors and exit non-zero on any.")

        @Argument(help: "Rule files or directories (searched recursively for .yml/.yaml).")
        var paths: [String]

        func run() async throws {
            let report = RuleTestRunner.check(paths: paths)
            for error in report.errors { printError(error.description) }
            print("\(report.files) file(s): \(report.rules) rule(s), \(report.correlations) correlation(s), "
                + "\(report.filters) filter(s), \(report.errors.count) error(s)")
            if !report.errors.isEmpty { throw ExitCode(1) }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate CloudTrail files (JSON array, {\"Records\":[…]}, NDJSON, .gz) and print one JSON line per hit.")

        @OptionGroup var selection: RuleSelection

        @Argument(help: "CloudTrail files.")
        var files: [String]

        func run() async throws {
            let runner = try selection.runner()
            do {
                var output = ""
                let summary = try runner.run(files: files) { line in
                    output += line
                    output += "\n"
                    if output.utf8.count > 1 << 16 {
                        print(output, terminator: "")
                        output = ""
                    }
                }
                print(output, terminator: "")
                printError("\(summary.events) event(s), \(summary.hits) hit(s)")
            } catch {
                printError(error.description)
                throw ExitCode(1)
            }
        }
    }

    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time the rules (plus built-ins) over CloudTrail files replicated to a number of events, on one thread.")

        @OptionGroup var selection: RuleSelection

        @Option(name: .long, help: "Events to evaluate (the files are replicated to at least this many).")
        var events = 1_000_000

        @Option(name: .long, help: "Passes of each kind; the fastest is reported.")
        var repeats = 1

        @Flag(name: .long, help: "Print one JSON object instead of text.")
        var json = false

        @Argument(help: "CloudTrail files.")
        var files: [String]

        func run() async throws {
            let runner = try selection.runner()
            let result = try RuleBenchmark(runner: runner).run(files: files, count: events, repeats: repeats)
            if json {
                print(result.json)
            } else {
                print("\(result.events) events, \(result.hits) hits: evaluate \(Int(result.eventsPerSecond)) events/s "
                    + "(\(Int(result.eventsPerCPUSecond)) per CPU second), parse+evaluate \(Int(result.parseAndEvaluateEventsPerSecond)) "
                    + "events/s (\(Int(result.parseAndEvaluateEventsPerCPUSecond)) per CPU second), max RSS \(Int(result.maxRSSMegabytes)) MB")
            }
        }
    }
}

private func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// The rules `vigil rules test` and `bench` run: the given files and directories, plus the built-ins unless left out.
struct RuleSelection: ParsableArguments {
    @Option(name: .long, help: "Rule file or directory (repeatable).")
    var rules: [String] = []

    @Flag(name: .long, help: "Leave out Vigil's built-in rules and baseline detectors.")
    var noBuiltins = false

    /// Loads the rules; on load errors prints each (file, rule id, problem) and exits 1.
    func runner() throws -> RuleTestRunner {
        do {
            return try RuleTestRunner(rulePaths: rules, builtins: !noBuiltins)
        } catch {
            for problem in error.errors { printError(problem.description) }
            throw ExitCode(1)
        }
    }
}
