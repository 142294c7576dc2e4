import Foundation

/// What an analyst can do to an escalation. Vigil records each; it executes nothing.
public enum ReviewAction: Sendable, Hashable {
    /// Takes the escalation up: open → acknowledged.
    case acknowledge
    /// Names who works it (an open escalation becomes acknowledged).
    case assign(to: String)
    /// Approves the verdict's recommended containment, as it reads now, for the team's own tooling to carry out.
    case approveContainment
    /// Closes it; the reason is required.
    case close(reason: String)
    /// Opens a closed escalation again.
    case reopen

    /// The action's name in the API path and the audit log.
    public var name: String {
        switch self {
        case .acknowledge: "acknowledge"
        case .assign: "assign"
        case .approveContainment: "approve"
        case .close: "close"
        case .reopen: "reopen"
        }
    }

    /// Every action name, as routes and forms spell them.
    public static let names = ["acknowledge", "assign", "approve", "close", "reopen"]

    /// The action named `name` with its argument (`assignee` for assign, `reason` for close).
    ///
    /// - Throws: ``ReviewError/Code/invalidArgument`` for an unknown name or a missing/blank/oversized argument.
    public static func parse(name: String, assignee: String?, reason: String?) throws(ReviewError) -> ReviewAction {
        switch name {
        case "acknowledge": return .acknowledge
        case "approve": return .approveContainment
        case "reopen": return .reopen
        case "assign": return .assign(to: try required(assignee, field: "assignee", limit: 200))
        case "close": return .close(reason: try required(reason, field: "reason", limit: 4000))
        default: throw ReviewError(.invalidArgument, "unknown action", field: "action")
        }
    }

    private static func required(_ value: String?, field: String, limit: Int) throws(ReviewError) -> String {
        let trimmed = (value ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw ReviewError(.invalidArgument, "'\(field)' is required", field: field) }
        guard trimmed.count <= limit else { throw ReviewError(.invalidArgument, "'\(field)' exceeds \(limit) characters", field: field) }
        return trimmed
    }
}
