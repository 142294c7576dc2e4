/// The kind of secret a redaction placeholder stands for, as it appears in `[REDACTED:kind:n]`.
public struct SecretKind: RawRepresentable, Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let awsAccessKeyID = SecretKind(rawValue: "aws_access_key_id")
    public static let awsSecretAccessKey = SecretKind(rawValue: "aws_secret_access_key")
    public static let awsSessionToken = SecretKind(rawValue: "aws_session_token")
    public static let password = SecretKind(rawValue: "password")
    public static let urlPassword = SecretKind(rawValue: "url_password")
    public static let bearerToken = SecretKind(rawValue: "bearer_token")
    public static let basicCredentials = SecretKind(rawValue: "basic_credentials")
    public static let apiKey = SecretKind(rawValue: "api_key")
    public static let githubToken = SecretKind(rawValue: "github_token")
    public static let slackToken = SecretKind(rawValue: "slack_token")
    public static let jwt = SecretKind(rawValue: "jwt")
    public static let privateKey = SecretKind(rawValue: "private_key")
    /// A value of a field whose name says it is secret (`token`, `clientSecret`, …).
    public static let secret = SecretKind(rawValue: "secret")

    public var description: String { rawValue }
    public static func < (lhs: SecretKind, rhs: SecretKind) -> Bool { lhs.rawValue < rhs.rawValue }
}
