/// The classes of alert that Vigil never closes, whatever any model says (DESIGN.md invariant 4).
public enum GuardrailClass: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// The alert is about a privileged principal (root, administrators, break-glass roles, …).
    case privilegedPrincipal = "privileged_principal"
    /// The alert touches a production database.
    case productionDatabase = "production_database"
    /// The alert touches a secrets store (Secrets Manager, SSM parameters, KMS, …).
    case secretsStore = "secrets_store"
    /// Persistence signals: new principals, keys, roles, policies, trust changes.
    case persistence
    /// Lateral-movement signals: assuming roles across accounts, remote sessions, …
    case lateralMovement = "lateral_movement"
    /// Exfiltration signals: snapshot or image sharing, bucket policy opening, bulk reads, …
    case exfiltration
    /// Credential-compromise signals: credential access, unusual key use, logging tampering, console logins without MFA, …
    case credentialCompromise = "credential_compromise"
    /// The alert's data looks like an instruction to the model.
    case injectionSuspected = "injection_suspected"

    public static func < (lhs: GuardrailClass, rhs: GuardrailClass) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One reason a guardrail class applies to an alert.
///
/// `reason` names fields, event names, rule ids and configured patterns; it never quotes payload values.
public struct GuardrailFinding: Sendable, Hashable, Codable, CustomStringConvertible {
    public var guardrail: GuardrailClass
    public var reason: String

    public init(_ guardrail: GuardrailClass, reason: String) {
        self.guardrail = guardrail
        self.reason = reason
    }

    public var description: String { "\(guardrail.rawValue): \(reason)" }
}
