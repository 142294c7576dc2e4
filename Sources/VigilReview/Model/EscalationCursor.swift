import Foundation

/// A stable position in the escalation queue, which is ordered newest verdict first, then by alert id.
///
/// Keyset pagination: a page starts strictly after the cursor, so escalations arriving while a client pages
/// never shift or repeat what it has seen. Encoded as opaque base64url text.
public struct EscalationCursor: Sendable, Hashable {
    /// The verdict's `created_at`, in microseconds since 1970 (exact, as PostgreSQL stores it).
    public var createdMicros: Int64
    public var alertID: UUID

    public init(createdMicros: Int64, alertID: UUID) {
        self.createdMicros = createdMicros
        self.alertID = alertID
    }

    /// The cursor as a client sends it back.
    public var text: String {
        Data("\(createdMicros):\(alertID.uuidString.lowercased())".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// - Throws: ``ReviewError/Code/invalidArgument`` (field `cursor`) for text no cursor produced.
    public init(text: String) throws(ReviewError) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let decoded = String(data: data, encoding: .utf8) else {
            throw ReviewError(.invalidArgument, "the cursor is malformed", field: "cursor")
        }
        let parts = decoded.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else {
            throw ReviewError(.invalidArgument, "the cursor is malformed", field: "cursor")
        }
        self.init(createdMicros: micros, alertID: id)
    }
}
