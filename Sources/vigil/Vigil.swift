import ArgumentParser

@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Vigil: a distributed security-alert triage cluster.",
        discussion: "Vigil recommends; people decide. It never blocks or remediates by itself.",
        subcommands: [
            MigrateCommand.self,
            DoctorCommand.self,
            CoordinatorCommand.self,
            TokenCommand.self,
            IngestCommand.self,
            RulesCommand.self,
            LLMSimCommand.self,
            BenchCommand.self,
            WorkerCommand.self,
            LoadCommand.self,
            PruneCommand.self,
            ReportCommand.self,
            DemoCommand.self,
        ]
    )
}
