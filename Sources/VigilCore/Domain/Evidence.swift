/// One piece of evidence a verdict may cite: a tool result, the alert itself or a rule match.
///
/// `id` is stable within one alert's triage (`cloudtrail:3`, `alert`, `rule:…`); a verdict's cited ids must all
/// name evidence that exists. `summary` is a compact, already-sanitised description (never raw payload).
public struct Evidence: Sendable, Hashable, Codable, Identifiable, CustomStringConvertible {
    /// Stable id, unique within one alert's triage.
    public var id: String
    /// What produced it: a tool name (`get_cloudtrail_events`), `alert` or `rules`.
    public var source: String
    /// A compact summary, sanitised by ``HygieneSession`` before it is stored here.
    public var summary: String

    public init(id: String, source: String, summary: String) {
        self.id = id
        self.source = source
        self.summary = summary
    }

    /// Id and source only; the summary is derived from untrusted data.
    public var description: String { "Evidence(id: \(id), source: \(source))" }
}
