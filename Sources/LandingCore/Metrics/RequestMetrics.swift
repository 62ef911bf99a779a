import Synchronization

/// Requests answered, by route pattern, method and status, and their durations by route
/// (`landing_http_requests_total`, `landing_http_request_duration_seconds`). Each event loop records
/// into its own `RequestMetricsShard`, so answering a request takes no lock and touches no memory
/// another loop writes; a scrape merges the shards.
public final class RequestMetrics: Sendable {
    /// The route label of a response that no route produced (protocol errors, request timeouts).
    public static let noRoute = "-"

    public let durationBuckets: [Double]
    private let shards = Mutex<[RequestMetricsShard]>([])

    public init(durationBuckets: [Double] = MetricHistogram.defaultBuckets) {
        self.durationBuckets = durationBuckets
    }

    /// A shard for one writer thread (an event loop). Kept for as long as this object lives.
    public func makeShard() -> RequestMetricsShard {
        let shard = RequestMetricsShard(durationBuckets: durationBuckets)
        shards.withLock { $0.append(shard) }
        return shard
    }

    /// The method label: one of the methods the server knows, anything else `other` (the parser
    /// accepts any token as a method; a label must not take unbounded values).
    public static func methodLabel(_ method: String) -> String {
        switch method {
        case "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT", noRoute: method
        default: "other"
        }
    }

    /// Both families, every shard merged, series sorted by route, method, status.
    public func families() -> [MetricFamily] {
        var counts: [RequestMetricsShard.SeriesKey: UInt64] = [:]
        var durations: [String: HistogramSnapshot] = [:]
        for shard in shards.withLock({ $0 }) {
            let (shardCounts, shardDurations) = shard.published()
            for (key, counter) in shardCounts { counts[key, default: 0] &+= counter.value }
            for (route, histogram) in shardDurations {
                durations[route, default: HistogramSnapshot(upperBounds: durationBuckets)].merge(histogram.snapshot())
            }
        }
        let requestSamples = counts.keys.sorted().map { key in
            MetricSample(
                labels: [MetricLabel("route", key.route), MetricLabel("method", key.method), MetricLabel("status", String(key.status))],
                value: Double(counts[key]!))
        }
        let durationSamples = durations.keys.sorted().flatMap { route in
            durations[route]!.samples(labels: [MetricLabel("route", route)])
        }
        return [
            MetricFamily(
                name: "landing_http_requests_total", help: "HTTP responses sent, by route pattern, method and status.",
                kind: .counter, samples: requestSamples),
            MetricFamily(
                name: "landing_http_request_duration_seconds",
                help: "Time from a request's arrival to its response being queued, by route pattern.",
                kind: .histogram, samples: durationSamples),
        ]
    }
}

/// One event loop's request counters and duration histograms. `record` is called only on the
/// owning thread; scrapes read from any thread.
// why: @unchecked Sendable: `routes` and each cell's `series` are read and written only by the
// owning thread (`record`); other threads see the counters and histograms through `published`,
// under its lock, and read their atomics. So the hot path is one dictionary lookup, a short scan
// and three uncontended atomic adds.
public final class RequestMetricsShard: @unchecked Sendable {
    /// The labels of one `landing_http_requests_total` series.
    struct SeriesKey: Hashable, Comparable, Sendable {
        var route: String
        var method: String
        var status: Int

        static func < (a: SeriesKey, b: SeriesKey) -> Bool {
            (a.route, a.method, a.status) < (b.route, b.method, b.status)
        }
    }

    /// One route's histogram and its (method, status) counters; a route sees few combinations, so
    /// a linear scan beats hashing again.
    final class RouteCell {
        let durations: MetricHistogram
        var series: [(method: String, status: Int, counter: MetricCounter)] = []

        init(durations: MetricHistogram) {
            self.durations = durations
        }
    }

    /// The cells created so far, for scrapes.
    struct Published {
        var counters: [(SeriesKey, MetricCounter)] = []
        var durations: [(String, MetricHistogram)] = []
    }

    private let durationBuckets: [Double]
    private var routes: [String: RouteCell] = [:]
    private let cells = Mutex(Published())

    init(durationBuckets: [Double]) {
        self.durationBuckets = durationBuckets
    }

    /// Counts one response. Owning thread only. `route` is a route pattern (or `RequestMetrics.noRoute`),
    /// `method` a label from `RequestMetrics.methodLabel`, `seconds` the request's duration.
    public func record(route: String, method: String, status: Int, seconds: Double) {
        let cell: RouteCell
        if let existing = routes[route] {
            cell = existing
        } else {
            cell = RouteCell(durations: MetricHistogram(upperBounds: durationBuckets))
            routes[route] = cell
            cells.withLock { $0.durations.append((route, cell.durations)) }
        }
        cell.durations.observe(seconds)
        for entry in cell.series where entry.status == status && entry.method == method {
            entry.counter.increment()
            return
        }
        let counter = MetricCounter()
        counter.increment()
        cell.series.append((method, status, counter))
        cells.withLock { $0.counters.append((SeriesKey(route: route, method: method, status: status), counter)) }
    }

    /// The cells created so far (any thread).
    func published() -> ([(SeriesKey, MetricCounter)], [(String, MetricHistogram)]) {
        cells.withLock { ($0.counters, $0.durations) }
    }
}
