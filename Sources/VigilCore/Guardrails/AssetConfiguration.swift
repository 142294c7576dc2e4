/// What a site tells Vigil about its own assets, for the guardrails. Plain values; loading them from YAML is the
/// configuration loader's job. No key is secret.
///
/// Patterns are ``GlobPattern``s, matched case-insensitively against principal ARNs (the caller, the session
/// issuer, and principals an IAM call acts on) and resource ARNs (from the alert, the event's `resources`, and ARNs
/// Vigil derives from request parameters such as `dBInstanceIdentifier` or `tableName`).
public struct AssetConfiguration: Sendable, Hashable, Codable {
    /// Principals that are never dismissed: root, administrators, break-glass roles (default: ``defaultPrivilegedPrincipals``).
    public var privilegedPrincipals: [GlobPattern]
    /// Production databases (default: ``defaultProductionDatabases``).
    public var productionDatabases: [GlobPattern]
    /// Secrets stores (default: ``defaultSecretsStores``). Any Secrets Manager call and any decrypted SSM parameter
    /// read count as touching a secrets store whatever these say.
    public var secretsStores: [GlobPattern]
    /// Automation principals (CI/CD, infrastructure-as-code) whose routine activity the rule path may explain.
    /// They never remove a guardrail: an automation principal's stolen keys look exactly like the automation.
    public var knownGoodAutomation: [GlobPattern]

    public init(
        privilegedPrincipals: [GlobPattern] = AssetConfiguration.defaultPrivilegedPrincipals,
        productionDatabases: [GlobPattern] = AssetConfiguration.defaultProductionDatabases,
        secretsStores: [GlobPattern] = AssetConfiguration.defaultSecretsStores,
        knownGoodAutomation: [GlobPattern] = []
    ) {
        self.privilegedPrincipals = privilegedPrincipals
        self.productionDatabases = productionDatabases
        self.secretsStores = secretsStores
        self.knownGoodAutomation = knownGoodAutomation
    }

    public static let defaultPrivilegedPrincipals: [GlobPattern] = [
        "arn:aws:iam::*:root", "*:assumed-role/*admin*", "*:role/*admin*", "*:user/*admin*", "*organizationaccountaccessrole*",
        "*breakglass*", "*break-glass*", "*awsreservedsso_administratoraccess*", "arn:aws:iam::aws:policy/administratoraccess",
        "arn:aws:iam::aws:policy/iamfullaccess",
    ]

    public static let defaultProductionDatabases: [GlobPattern] = [
        "arn:aws:rds:*:db:*prod*", "arn:aws:rds:*:cluster:*prod*", "arn:aws:rds:*:snapshot:*prod*", "arn:aws:rds:*:cluster-snapshot:*prod*",
        "arn:aws:dynamodb:*:table/*prod*", "arn:aws:redshift:*:cluster:*prod*", "arn:aws:docdb*:*prod*", "arn:aws:neptune*:*prod*",
    ]

    public static let defaultSecretsStores: [GlobPattern] = [
        "arn:aws:secretsmanager:*", "arn:aws:ssm:*:parameter/*secret*", "arn:aws:ssm:*:parameter/*password*",
        "arn:aws:ssm:*:parameter/*credential*", "arn:aws:ssm:*:parameter/*token*", "arn:aws:ssm:*:parameter/*apikey*",
        "arn:aws:ssm:*:parameter/*api-key*", "arn:aws:ssm:*:parameter/*api_key*",
    ]

    /// The first pattern in `patterns` that `text` matches.
    public static func firstMatch(_ text: String, in patterns: [GlobPattern]) -> GlobPattern? {
        patterns.first { $0.matches(text) }
    }

    /// Whether `principal` is configured as known-good automation.
    public func isKnownGoodAutomation(_ principal: String) -> Bool {
        Self.firstMatch(principal, in: knownGoodAutomation) != nil
    }
}
