/// An invalid queue setting (leases, retries): the key and why, never the value.
public struct QueueConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem; codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A setting is out of its range or inconsistent with another.
        public static let invalidConfiguration = Code("invalid_configuration")
    }

    public var code: Code
    /// The setting's name, as in the component's `Configuration`.
    public var key: String
    public var reason: String

    public init(code: Code = .invalidConfiguration, key: String, reason: String) {
        self.code = code
        self.key = key
        self.reason = reason
    }

    public var description: String { "\(code): \(key) \(reason)" }
}
