/// A failure starting, watching or stopping a local cluster (`vigil demo`, `vigil bench e2e`).
///
/// `description` names the component and what went wrong, never alert data or secrets.
struct ClusterError: Error, CustomStringConvertible {
    /// What went wrong; codes can be added.
    struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        static let spawnFailed = Code(name: "spawn_failed")
        static let notReady = Code(name: "not_ready")
        static let childExited = Code(name: "child_exited")
        static let timedOut = Code(name: "timed_out")
        static let noData = Code(name: "no_data")
        static let ingestFailed = Code(name: "ingest_failed")
        var description: String { name }
    }

    let code: Code
    let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }
}
