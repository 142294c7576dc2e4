import Logging
import VigilCore

/// The five read-only investigation tools, by name.
///
/// ``call(name:arguments:)`` never throws: invalid input and failures come back as error results the model can read.
public struct ToolRegistry: Sendable {
    public let context: ToolContext
    private let logger: Logger

    private static let tools: [any InvestigationTool] = [
        GetCloudTrailEventsTool(), GetIAMPrincipalHistoryTool(), CheckGuardDutyFindingsTool(), GetVPCFlowLogsTool(),
        LookupIPReputationTool(),
    ]

    public init(context: ToolContext, logger: Logger = Logger(label: "vigil.tools")) {
        self.context = context
        self.logger = logger
    }

    /// The tools' definitions, in DESIGN.md's order.
    public static var definitions: [ToolDefinition] { tools.map { type(of: $0).definition } }

    /// Runs the tool `name` with `arguments` (a JSON object).
    public func call(name: String, arguments: JSONValue) async -> ToolResult {
        guard let tool = Self.tools.first(where: { type(of: $0).definition.name == name }) else {
            let names = Self.definitions.map(\.name).joined(separator: ", ")
            return .error(ToolError(.unknownTool, "no tool named \(name.prefix(64)); the tools are \(names)"))
        }
        do {
            let parsed = try ToolArguments(arguments)
            return ToolResult(content: try await tool.run(parsed, context: context))
        } catch let error as ToolError {
            return .error(error)
        } catch {
            logger.error("tool failed", metadata: ["tool": "\(name)", "error": "\(error)"])
            return .error(ToolError(.unavailable, "the data store could not answer; try again later"))
        }
    }
}
