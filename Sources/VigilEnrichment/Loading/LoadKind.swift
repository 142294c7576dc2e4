/// What `vigil load` loads, and where it goes.
public enum LoadKind: String, Sendable, CaseIterable {
    case cloudtrail
    case vpcflow
    case guardduty
    case intel
    case auth
    case assets
}
