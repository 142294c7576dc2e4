import ArgumentParser
import Logging
import VigilObservability

/// How a long-running command logs: format and level. Logs carry ids and counts, never alert payloads or secrets.
struct LogOptions: ParsableArguments {
    @Option(help: "Log format: 'text' (human-readable) or 'json' (one JSON object per line, for log shippers).")
    var logFormat: LogFormat = .text

    /// Bootstraps swift-log (and the process's Prometheus registry) for `level`. Call first in `run()`.
    func bootstrap(level: Logger.Level) {
        logFormat.bootstrap(level: level)
        PrometheusMetrics.shared.bootstrap()
    }
}

extension LogFormat: ExpressibleByArgument {}
