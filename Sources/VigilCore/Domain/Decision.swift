/// What Vigil recommends for an alert. Vigil only ever recommends; people act.
public enum Decision: String, Sendable, Hashable, Codable, CaseIterable {
    /// A person must look now.
    case escalate = "ESCALATE"
    /// Keep watching; a recurrence escalates.
    case monitor = "MONITOR"
    /// Explained as benign, with the reason.
    case close = "CLOSE"
}
