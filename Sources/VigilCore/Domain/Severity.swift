/// How bad an alert says it is, as the producer rated it.
public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case informational
    case low
    case medium
    case high
    case critical

    private var rank: Int {
        switch self {
        case .informational: 0
        case .low: 1
        case .medium: 2
        case .high: 3
        case .critical: 4
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

    /// Reads the names producers use (`info`, `moderate`, …) and GuardDuty-style numbers (0–10).
    public init?(lenient text: String) {
        switch text.lowercased() {
        case "informational", "info", "information": self = .informational
        case "low": self = .low
        case "medium", "moderate": self = .medium
        case "high": self = .high
        case "critical": self = .critical
        default:
            guard let number = Double(text) else { return nil }
            self.init(score: number)
        }
    }

    /// GuardDuty's scale: below 4 low, below 7 medium, below 9 high, else critical.
    public init?(score: Double) {
        guard score.isFinite, score >= 0 else { return nil }
        switch score {
        case ..<1: self = .informational
        case ..<4: self = .low
        case ..<7: self = .medium
        case ..<9: self = .high
        default: self = .critical
        }
    }
}
