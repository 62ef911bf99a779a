/// One metric as a scrape sees it: a name, its `# HELP` text, its type, and its samples. Collectors
/// build these at scrape time; `PrometheusText` renders them.
public struct MetricFamily: Sendable, Equatable {
    /// The Prometheus metric types this server exports.
    public enum Kind: String, Sendable, Equatable {
        case counter, gauge, histogram
    }

    /// The family name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), e.g. `landing_http_requests_total`.
    public var name: String
    public var help: String
    public var kind: Kind
    public var samples: [MetricSample]

    public init(name: String, help: String, kind: Kind, samples: [MetricSample]) {
        self.name = name
        self.help = help
        self.kind = kind
        self.samples = samples
    }

    /// A counter or gauge with one unlabelled sample.
    public static func single(_ name: String, help: String, kind: Kind, value: Double) -> MetricFamily {
        MetricFamily(name: name, help: help, kind: kind, samples: [MetricSample(value: value)])
    }
}

/// One line of a family: an optional name suffix (`_bucket`, `_sum`, `_count` for histograms), the
/// labels in the order they are written, and the value.
public struct MetricSample: Sendable, Equatable {
    public var suffix: String
    public var labels: [MetricLabel]
    public var value: Double

    public init(suffix: String = "", labels: [MetricLabel] = [], value: Double) {
        self.suffix = suffix
        self.labels = labels
        self.value = value
    }
}

/// A label name and its (unescaped) value.
public struct MetricLabel: Sendable, Equatable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
