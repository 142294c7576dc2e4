import Foundation

/// A webhook's signing secret. Never printed: `description` and `debugDescription` are redacted.
public struct WebhookSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Reads the secret from environment variable `name`.
    /// - Throws: `.missingSecret` when it is unset or empty.
    public static func environment(_ name: String, _ environment: [String: String] = ProcessInfo.processInfo.environment) throws(WebhookError)
        -> WebhookSecret
    {
        guard let value = environment[name], !value.isEmpty else {
            throw WebhookError(.missingSecret, "environment variable \(name) is unset or empty")
        }
        return WebhookSecret(Array(value.utf8))
    }

    /// Reads the secret from a file (a trailing newline is dropped), as Kubernetes and systemd credentials mount them.
    /// - Throws: `.missingSecret` when the file cannot be read or is empty.
    public static func file(_ path: String) throws(WebhookError) -> WebhookSecret {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WebhookError(.missingSecret, "the secret file \(path) cannot be read")
        }
        var bytes = Array(data)
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        guard !bytes.isEmpty else { throw WebhookError(.missingSecret, "the secret file \(path) is empty") }
        return WebhookSecret(bytes)
    }

    public var description: String { "WebhookSecret(redacted)" }
    public var debugDescription: String { description }
}
