import ArgumentParser
import Foundation
import VigilRules

/// `vigil rules`: check Sigma rules and run them over CloudTrail files.
struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check Sigma rules and test them on CloudTrail files.",
        subcommands: [Check.self, Test.self]
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

        @Option(name: .long, help: "Rule file or directory (repeatable).")
        var rules: [String] = []

        @Flag(name: .long, help: "Leave out Vigil's built-in rules and baseline detectors.")
        var noBuiltins = false

        @Argument(help: "CloudTrail files.")
        var files: [String]

        func run() async throws {
            let runner: RuleTestRunner
            do {
                runner = try RuleTestRunner(rulePaths: rules, builtins: !noBuiltins)
            } catch {
                for problem in error.errors { printError(problem.description) }
                throw ExitCode(1)
            }
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
}

private func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
