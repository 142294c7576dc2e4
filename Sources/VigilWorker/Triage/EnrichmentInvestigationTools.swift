import Foundation
import Logging
import VigilCore
import VigilEnrichment
import VigilLLM

/// The enrichment module's read-only tools (``ToolRegistry``, on the worker's PostgreSQL pool) as the triage agent's
/// ``InvestigationTools``.
///
/// Tool results pass through unchanged: the agent sanitises and spotlights them, and the evidence ids a verdict may
/// cite are the `evidence_id` members the tools wrote. Tool failures are error results the model can read; nothing
/// here throws.
public struct EnrichmentInvestigationTools: InvestigationTools {
    public let registry: ToolRegistry

    public init(registry: ToolRegistry) {
        self.registry = registry
    }

    /// The five tools of DESIGN.md, in its order.
    public static let definitions: [LLMToolDefinition] = ToolRegistry.definitions.map {
        LLMToolDefinition(name: $0.name, description: $0.description, inputSchema: $0.inputSchema)
    }

    public var toolDefinitions: [LLMToolDefinition] { Self.definitions }

    public func call(name: String, arguments: JSONValue) async -> InvestigationToolResult {
        let result = await registry.call(name: name, arguments: arguments)
        return InvestigationToolResult(isError: result.isError, content: result.content, evidenceIDs: result.isError ? [] : result.evidenceIDs)
    }
}

/// Which instant the tools' windows (`hours_back`, the baseline) end at for one alert.
public enum InvestigationClock: String, Sendable, Hashable, CaseIterable {
    /// The wall clock: live triage of fresh alerts (default).
    case wall
    /// The alert's `occurred_at` plus an hour: replays of recorded data, demos and benchmarks, where "now" would be
    /// years after the logs.
    case alert

    /// The tools for `alert`, reading through `context` (its `now` replaced as this clock says).
    public func tools(for alert: Alert, context: ToolContext, logger: Logger) -> EnrichmentInvestigationTools {
        var context = context
        if self == .alert {
            let anchor = alert.occurredAt.addingTimeInterval(3600)
            context.now = { anchor }
        }
        return EnrichmentInvestigationTools(registry: ToolRegistry(context: context, logger: logger))
    }
}
