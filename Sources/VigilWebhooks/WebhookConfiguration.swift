import Foundation
import VigilCore

/// One webhook: where verdicts of some classes are POSTed, how they are signed, how often delivery is retried.
///
/// Keys of a `webhooks[]` entry in the configuration file (JSON), with defaults:
/// - `name` (required): `[a-z0-9][a-z0-9_-]*`, at most 63 characters; names the subscription in the database.
/// - `url` (required, **treated as secret**: chat webhooks embed a token in it; never logged, only its host).
/// - `decisions` (`["ESCALATE"]`): the verdict classes sent.
/// - `format` (`"vigil"`): `"vigil"` (Vigil's JSON) or `"slack"` (a Slack-compatible `text` + `blocks` body).
/// - `secret_env` / `secret_file` (**secret**): the HMAC-SHA256 signing key, from an environment variable or a file;
///   required for the `vigil` format, optional for `slack`.
/// - `max_attempts` (8), `base_delay_seconds` (2), `max_delay_seconds` (600): exponential backoff with jitter
///   between tries; after the last try the delivery becomes a `webhook_dead_letter` row.
/// - `timeout_seconds` (10): per request.
/// - `include_rationale` (false): add the verdict's rationale (it may quote alert data) to the body.
public struct Webhook: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case vigil
        case slack
    }

    public var name: String
    public var url: String
    public var decisions: Set<Decision>
    public var format: Format
    public var secret: WebhookSecret?
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    public var timeout: Duration
    public var includeRationale: Bool

    public init(
        name: String, url: String, decisions: Set<Decision> = [.escalate], format: Format = .vigil, secret: WebhookSecret?,
        maxAttempts: Int = 8, baseDelay: Duration = .seconds(2), maxDelay: Duration = .seconds(600), timeout: Duration = .seconds(10),
        includeRationale: Bool = false
    ) {
        self.name = name
        self.url = url
        self.decisions = decisions
        self.format = format
        self.secret = secret
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.timeout = timeout
        self.includeRationale = includeRationale
    }

    /// The URL's scheme and host, the only part of it that is ever logged.
    public var displayHost: String {
        guard let components = URLComponents(string: url), let host = components.host else { return "(invalid url)" }
        return "\(components.scheme ?? "?")://\(host)"
    }

    /// - Throws: `.invalidConfiguration` naming the webhook and the field.
    public func validate() throws(WebhookError) {
        func invalid(_ field: String, _ reason: String) -> WebhookError {
            WebhookError(.invalidConfiguration, "webhook \(name.isEmpty ? "(unnamed)" : name): \(field) \(reason)")
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_-")
        guard let first = name.first, first != "_", first != "-", name.count <= 63, name.allSatisfy(allowed.contains) else {
            throw invalid("name", "must match [a-z0-9][a-z0-9_-]* (at most 63 characters)")
        }
        guard let components = URLComponents(string: url), ["http", "https"].contains(components.scheme ?? ""), components.host != nil else {
            throw invalid("url", "must be an http or https URL")
        }
        guard !decisions.isEmpty else { throw invalid("decisions", "must name at least one of ESCALATE, MONITOR, CLOSE") }
        guard format == .slack || secret != nil else { throw invalid("secret_env/secret_file", "is required for the vigil format") }
        guard maxAttempts >= 1 else { throw invalid("max_attempts", "must be at least 1") }
        guard baseDelay > .zero, maxDelay >= baseDelay else { throw invalid("base_delay_seconds", "must be positive and at most max_delay_seconds") }
        guard timeout > .zero else { throw invalid("timeout_seconds", "must be positive") }
    }

    /// The delay before try `attempt + 1` after try `attempt` failed: `baseDelay · 2^(attempt-1)`, capped at
    /// `maxDelay`, scaled by `jitter` (0.5…1).
    public func backoff(afterAttempt attempt: Int, jitter: Double) -> Duration {
        let exponent = Double(min(max(attempt - 1, 0), 40))
        let seconds = min(maxDelay.seconds, baseDelay.seconds * pow(2, exponent))
        return .milliseconds(Int64(seconds * min(1, max(0.5, jitter)) * 1000))
    }
}

/// The coordinator's webhooks and its delivery loop's settings. Loaded from a JSON file
/// (`vigil coordinator --webhooks FILE`): `{"poll_interval_seconds": 1, "batch": 32, "webhooks": [...]}`.
public struct WebhookConfiguration: Sendable {
    public var webhooks: [Webhook]
    /// How often the delivery loop looks for due notifications (default 1 s).
    public var pollInterval: Duration
    /// Notifications sent at once at most (default 32).
    public var batch: Int

    public init(webhooks: [Webhook], pollInterval: Duration = .seconds(1), batch: Int = 32) {
        self.webhooks = webhooks
        self.pollInterval = pollInterval
        self.batch = batch
    }

    /// - Throws: `.invalidConfiguration` for the first invalid webhook or setting, or repeated names.
    public func validate() throws(WebhookError) {
        var names: Set<String> = []
        for webhook in webhooks {
            try webhook.validate()
            guard names.insert(webhook.name).inserted else {
                throw WebhookError(.invalidConfiguration, "webhook \(webhook.name): name used twice")
            }
        }
        guard pollInterval > .zero else { throw WebhookError(.invalidConfiguration, "poll_interval_seconds must be positive") }
        guard batch >= 1 else { throw WebhookError(.invalidConfiguration, "batch must be at least 1") }
    }

    /// Parses and validates a configuration file's text; secrets are read from `environment` or their files.
    ///
    /// - Throws: ``WebhookError`` naming the field (never its value).
    public static func parse(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(WebhookError)
        -> WebhookConfiguration
    {
        let root: JSONObject
        do {
            guard let object = try JSONParser().parse(text).objectValue else {
                throw WebhookError(.invalidConfiguration, "the webhook configuration must be a JSON object")
            }
            root = object
        } catch let error as WebhookError {
            throw error
        } catch {
            throw WebhookError(.invalidConfiguration, "the webhook configuration is not valid JSON: \(error)")
        }
        var configuration = WebhookConfiguration(webhooks: [])
        if let seconds = root["poll_interval_seconds"]?.doubleValue { configuration.pollInterval = .milliseconds(Int64(seconds * 1000)) }
        if let batch = root["batch"]?.intValue { configuration.batch = Int(batch) }
        for (index, entry) in (root["webhooks"]?.arrayValue ?? []).enumerated() {
            configuration.webhooks.append(try webhook(entry.objectValue ?? [:], index: index, environment: environment))
        }
        try configuration.validate()
        return configuration
    }

    private static func webhook(_ object: JSONObject, index: Int, environment: [String: String]) throws(WebhookError) -> Webhook {
        let name = object["name"]?.stringValue ?? ""
        func invalid(_ field: String) -> WebhookError {
            WebhookError(.invalidConfiguration, "webhooks[\(index)] (\(name.isEmpty ? "unnamed" : name)): \(field) is invalid")
        }
        guard let url = object["url"]?.stringValue else { throw invalid("url") }
        var decisions: Set<Decision> = [.escalate]
        if let list = object["decisions"] {
            guard let values = list.arrayValue else { throw invalid("decisions") }
            decisions = []
            for value in values {
                guard let decision = value.stringValue.flatMap({ Decision(rawValue: $0.uppercased()) }) else { throw invalid("decisions") }
                decisions.insert(decision)
            }
        }
        var format = Webhook.Format.vigil
        if let text = object["format"] {
            guard let parsed = text.stringValue.flatMap(Webhook.Format.init(rawValue:)) else { throw invalid("format") }
            format = parsed
        }
        var secret: WebhookSecret?
        if let variable = object["secret_env"]?.stringValue {
            secret = try WebhookSecret.environment(variable, environment)
        } else if let path = object["secret_file"]?.stringValue {
            secret = try WebhookSecret.file(path)
        }
        func seconds(_ key: String, _ fallback: Duration) throws(WebhookError) -> Duration {
            guard let value = object[key] else { return fallback }
            guard let number = value.doubleValue, number > 0 else { throw invalid(key) }
            return .milliseconds(Int64(number * 1000))
        }
        var maxAttempts = 8
        if let value = object["max_attempts"] {
            guard let number = value.intValue else { throw invalid("max_attempts") }
            maxAttempts = Int(number)
        }
        return Webhook(
            name: name, url: url, decisions: decisions, format: format, secret: secret, maxAttempts: maxAttempts,
            baseDelay: try seconds("base_delay_seconds", .seconds(2)), maxDelay: try seconds("max_delay_seconds", .seconds(600)),
            timeout: try seconds("timeout_seconds", .seconds(10)), includeRationale: object["include_rationale"]?.boolValue ?? false)
    }
}
