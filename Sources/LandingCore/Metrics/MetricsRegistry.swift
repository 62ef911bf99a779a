import Synchronization

/// Everything `/metrics` exports: a list of collectors, each called at scrape time for its
/// families. Parts of the program register as they are built (the server its counters, the landing
/// flow its sink, the process its basics); a scrape runs them in registration order.
public final class MetricsRegistry: Sendable {
    /// Builds families from current values; called from the scraping thread, so it must only read
    /// thread-safe state (atomics, locked values).
    public typealias Collector = @Sendable () -> [MetricFamily]

    private let collectors = Mutex<[Collector]>([])

    public init() {}

    /// Adds `collector`; later scrapes include its families.
    public func register(_ collector: @escaping Collector) {
        collectors.withLock { $0.append(collector) }
    }

    /// Every family, in registration order.
    public func collect() -> [MetricFamily] {
        collectors.withLock { $0 }.flatMap { $0() }
    }

    /// The scrape's body, in the Prometheus text format.
    public func exposition() -> String {
        PrometheusText.render(collect())
    }
}
