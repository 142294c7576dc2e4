/// An error of the LLM API simulator: a bad configuration or a request it cannot serve.
///
/// `description` names the code and a message written by the simulator; it never carries request content,
/// model output or a credential.
public struct SimulatorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong; callers match on codes, and codes can be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A configuration value is out of range or inconsistent.
        public static let invalidConfiguration = Code("invalid configuration")
        /// A behaviour name is not one the simulator knows.
        public static let unknownBehaviour = Code("unknown behaviour")
        /// A listen address is not `HOST:PORT`.
        public static let invalidListenAddress = Code("invalid listen address")
        /// The server stopped before it reported its bound port.
        public static let notStarted = Code("server did not start")
    }

    public var code: Code
    /// A message naming the field or value at fault; never request content or secrets.
    public var message: String
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(message)" }
}
