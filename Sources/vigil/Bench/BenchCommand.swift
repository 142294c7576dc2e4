import ArgumentParser

/// `vigil bench …`: the benchmarks. Build in release mode (`swift build -c release`) before trusting a figure.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run Vigil's benchmarks (build with -c release first).",
        subcommands: [CopyBenchmarkCommand.self, IngestBenchmarkCommand.self, ToolBenchmarkCommand.self, EndToEndBenchmarkCommand.self]
    )
}
