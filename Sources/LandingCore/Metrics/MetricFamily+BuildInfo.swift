extension MetricFamily {
    /// `landing_build_info{version="…"} 1`: the usual info-style gauge, so dashboards can show which
    /// version each instance runs and join it onto other series.
    public static func buildInfo(version: String) -> MetricFamily {
        MetricFamily(
            name: "landing_build_info", help: "The running build: always 1, labelled with its version.", kind: .gauge,
            samples: [MetricSample(labels: [MetricLabel("version", version)], value: 1)])
    }
}
