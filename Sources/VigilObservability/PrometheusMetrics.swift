import CoreMetrics
import Metrics
import Prometheus
import Synchronization
import VigilCore

/// The process's Prometheus registry, behind swift-metrics: code records through the swift-metrics API (`Counter`,
/// `Timer`, `Gauge`) under the names in ``VigilCore/MetricName``, and `/metrics` renders this registry.
///
/// Lifecycle: ``bootstrap()`` once at start-up, before any metric is created (swift-metrics allows one bootstrap per
/// process; later calls are no-ops here). Until then swift-metrics records nowhere.
public final class PrometheusMetrics: Sendable {
    /// The process's instance.
    public static let shared = PrometheusMetrics()

    public let registry = PrometheusCollectorRegistry()
    private let bootstrapped = Mutex(false)

    /// Histogram buckets of the duration metrics: claims are milliseconds, triage runs up to minutes with an LLM.
    static let durationBuckets: [String: [Duration]] = [
        MetricName.claimDuration: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500].map { .milliseconds($0) },
        MetricName.triageDuration: [5, 25, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120_000].map { .milliseconds($0) },
    ]

    /// The factory this registry is exposed through.
    public var factory: PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = Self.durationBuckets
        return factory
    }

    /// Makes this registry swift-metrics' backend for the process. Returns false when it already was.
    @discardableResult
    public func bootstrap() -> Bool {
        bootstrapped.withLock { done in
            guard !done else { return false }
            done = true
            MetricsSystem.bootstrap(factory)
            return true
        }
    }

    /// The exposition text (Prometheus text format 0.0.4) of everything recorded, followed by `extra` (already in the
    /// text format, for series read elsewhere, such as the cluster's tables).
    public func exposition(extra: String = "") -> String {
        registry.emitToString() + extra
    }

    /// The content type of ``exposition(extra:)``.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
