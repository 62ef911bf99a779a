import Testing
@testable import LandingCore

/// The Prometheus text format (0.0.4) as written by `PrometheusText` and `MetricsRegistry`.
@Suite struct MetricsExpositionTests {
    /// A counter, a gauge and a histogram render exactly as the format specifies, in registration order.
    @Test func metrics_RendersRegistry_AsGoldenText() {
        let registry = MetricsRegistry()
        let requests = MetricCounter()
        requests.increment()
        requests.increment(by: 2)
        let open = MetricGauge()
        open.increment()
        open.increment()
        open.increment()
        open.decrement()
        let seconds = MetricHistogram(upperBounds: [0.25, 1])
        for value in [0.25, 0.5, 2] { seconds.observe(value) }
        registry.register {
            [
                MetricFamily(
                    name: "test_requests_total", help: "Requests.", kind: .counter,
                    samples: [MetricSample(labels: [MetricLabel("route", "/a"), MetricLabel("method", "GET")], value: Double(requests.value))]),
                .single("test_open", help: "Open things.", kind: .gauge, value: Double(open.value)),
            ]
        }
        registry.register { [MetricFamily(name: "test_seconds", help: "Durations.", kind: .histogram, samples: seconds.snapshot().samples())] }
        #expect(
            registry.exposition() == """
                # HELP test_requests_total Requests.
                # TYPE test_requests_total counter
                test_requests_total{route="/a",method="GET"} 3
                # HELP test_open Open things.
                # TYPE test_open gauge
                test_open 2
                # HELP test_seconds Durations.
                # TYPE test_seconds histogram
                test_seconds_bucket{le="0.25"} 1
                test_seconds_bucket{le="1"} 2
                test_seconds_bucket{le="+Inf"} 3
                test_seconds_sum 2.75
                test_seconds_count 3

                """)
    }

    /// Label values escape backslash, double quote and line feed; help text escapes backslash and line feed only.
    @Test func metrics_EscapesLabelValuesAndHelp_PerFormat() {
        let family = MetricFamily(
            name: "x", help: "one\\two\n\"three\"", kind: .counter,
            samples: [MetricSample(labels: [MetricLabel("v", "a\\b\"c\nd/é")], value: 1)])
        #expect(
            PrometheusText.render([family]) == """
                # HELP x one\\\\two\\n"three"
                # TYPE x counter
                x{v="a\\\\b\\"c\\nd/é"} 1

                """)
        #expect(PrometheusText.escapeLabelValue("plain /oauth/callback") == "plain /oauth/callback")
    }

    /// Values are Go-parsable floats: whole numbers without a fraction, +Inf, -Inf, NaN.
    @Test func metrics_FormatsValues_AsGoFloats() {
        #expect(PrometheusText.format(0) == "0")
        #expect(PrometheusText.format(-0.0) == "0")
        #expect(PrometheusText.format(3) == "3")
        #expect(PrometheusText.format(1_234_567) == "1234567")
        #expect(PrometheusText.format(0.0005) == "0.0005")
        #expect(PrometheusText.format(2.5) == "2.5")
        #expect(PrometheusText.format(0.00001) == "1e-05")
        #expect(PrometheusText.format(1e20) == "1e+20")
        #expect(PrometheusText.format(.infinity) == "+Inf")
        #expect(PrometheusText.format(-.infinity) == "-Inf")
        #expect(PrometheusText.format(.nan) == "NaN")
    }

    /// Families with the same name from different collectors are written as one contiguous block.
    @Test func metrics_MergesFamilies_WithTheSameName() {
        let a = MetricFamily(name: "m", help: "First.", kind: .counter, samples: [MetricSample(labels: [MetricLabel("k", "a")], value: 1)])
        let other = MetricFamily.single("n", help: "N.", kind: .gauge, value: 5)
        let b = MetricFamily(name: "m", help: "Second.", kind: .counter, samples: [MetricSample(labels: [MetricLabel("k", "b")], value: 2)])
        #expect(
            PrometheusText.render([a, other, b]) == """
                # HELP m First.
                # TYPE m counter
                m{k="a"} 1
                m{k="b"} 2
                # HELP n N.
                # TYPE n gauge
                n 5

                """)
    }

    /// Bucket bounds are inclusive, counts cumulative, and merging adds bucket by bucket.
    @Test func metrics_Histogram_CountsInclusiveBuckets_AndMerges() {
        let h = MetricHistogram(upperBounds: [0.001, 0.01])
        h.observe(0.001)
        h.observe(0.0011)
        h.observe(99)
        var merged = h.snapshot()
        #expect(merged.bucketCounts == [1, 1, 1])
        merged.merge(HistogramSnapshot(upperBounds: [0.001, 0.01], bucketCounts: [2, 0, 0], sum: 0.002))
        #expect(merged.bucketCounts == [3, 1, 1])
        #expect(merged.count == 5)
        let samples = merged.samples(labels: [MetricLabel("route", "/")])
        #expect(samples.map(\.value) == [3, 4, 5, merged.sum, 5])
        #expect(samples[2].labels == [MetricLabel("route", "/"), MetricLabel("le", "+Inf")])
        #expect(samples[3].suffix == "_sum")
    }

    /// The default request buckets are the ones the dashboard expects: 0.5 ms to 10 s, `le` written without trailing zeros.
    @Test func metrics_DefaultBuckets_RenderAsShortBounds() {
        let labels = HistogramSnapshot(upperBounds: MetricHistogram.defaultBuckets).samples().compactMap { $0.labels.last?.value }
        #expect(labels == ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"])
    }
}
