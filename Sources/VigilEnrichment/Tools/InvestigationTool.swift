import VigilCore

/// One read-only tool of the triage agent.
protocol InvestigationTool: Sendable {
    static var definition: ToolDefinition { get }
    /// Answers a validated call; throws ``ToolError`` for invalid input, anything else for a failed query.
    func run(_ arguments: ToolArguments, context: ToolContext) async throws -> JSONValue
}
