import ArgumentParser

@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Vigil: a distributed security-alert triage cluster.",
        subcommands: [RulesCommand.self]
    )
}
