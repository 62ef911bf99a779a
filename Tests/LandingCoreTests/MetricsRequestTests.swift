import Foundation
import Testing
@testable import LandingCore

/// Request counters and durations kept per event loop (`RequestMetricsShard`) and merged at scrape time.
@Suite struct MetricsRequestTests {
    /// Requests are counted by route pattern, method and status, durations by route, every shard merged, series sorted.
    @Test func metrics_CountsRequestsByRoute() {
        let metrics = RequestMetrics(durationBuckets: [0.25, 1])
        let loop0 = metrics.makeShard()
        let loop1 = metrics.makeShard()
        loop0.record(route: "/oauth/callback", method: "GET", status: 200, seconds: 0.125)
        loop1.record(route: "/oauth/callback", method: "GET", status: 200, seconds: 0.5)
        loop1.record(route: "/oauth/callback", method: "POST", status: 400, seconds: 0.125)
        loop0.record(route: "-", method: "-", status: 400, seconds: 2)
        #expect(
            PrometheusText.render(metrics.families()) == """
                # HELP landing_http_requests_total HTTP responses sent, by route pattern, method and status.
                # TYPE landing_http_requests_total counter
                landing_http_requests_total{route="-",method="-",status="400"} 1
                landing_http_requests_total{route="/oauth/callback",method="GET",status="200"} 2
                landing_http_requests_total{route="/oauth/callback",method="POST",status="400"} 1
                # HELP landing_http_request_duration_seconds Time from a request's arrival to its response being queued, by route pattern.
                # TYPE landing_http_request_duration_seconds histogram
                landing_http_request_duration_seconds_bucket{route="-",le="0.25"} 0
                landing_http_request_duration_seconds_bucket{route="-",le="1"} 0
                landing_http_request_duration_seconds_bucket{route="-",le="+Inf"} 1
                landing_http_request_duration_seconds_sum{route="-"} 2
                landing_http_request_duration_seconds_count{route="-"} 1
                landing_http_request_duration_seconds_bucket{route="/oauth/callback",le="0.25"} 2
                landing_http_request_duration_seconds_bucket{route="/oauth/callback",le="1"} 3
                landing_http_request_duration_seconds_bucket{route="/oauth/callback",le="+Inf"} 3
                landing_http_request_duration_seconds_sum{route="/oauth/callback"} 0.75
                landing_http_request_duration_seconds_count{route="/oauth/callback"} 3

                """)
    }

    /// Before any request both families are present and empty, so a scrape never lacks them.
    @Test func metrics_RequestFamilies_ArePresent_BeforeAnyRequest() {
        let families = RequestMetrics().families()
        #expect(families.map(\.name) == ["landing_http_requests_total", "landing_http_request_duration_seconds"])
        #expect(families.allSatisfy { $0.samples.isEmpty })
    }

    /// The method label is bounded: known methods as is, any other token as `other`.
    @Test func metrics_MapsUnknownMethods_ToOther() {
        #expect(RequestMetrics.methodLabel("GET") == "GET")
        #expect(RequestMetrics.methodLabel("PATCH") == "PATCH")
        #expect(RequestMetrics.methodLabel("-") == "-")
        #expect(RequestMetrics.methodLabel("BREW") == "other")
        #expect(RequestMetrics.methodLabel("get") == "other")
    }

    /// Loops record into their own shards while scrapes run; no count is lost or torn.
    @Test func metrics_Shards_RecordConcurrently_WithScrapes() async {
        let metrics = RequestMetrics()
        let loops = 4
        let perLoop = 20_000
        await withTaskGroup(of: Void.self) { group in
            for loop in 0..<loops {
                let shard = metrics.makeShard()
                group.addTask {
                    for i in 0..<perLoop {
                        shard.record(route: i % 2 == 0 ? "/" : "/v1/items/{itemId}", method: "GET", status: 200 + loop % 2, seconds: 0.001)
                    }
                }
            }
            group.addTask {
                for _ in 0..<50 { _ = metrics.families() }
            }
        }
        let families = metrics.families()
        let total = families[0].samples.reduce(0) { $0 + $1.value }
        #expect(total == Double(loops * perLoop))
        let counts = families[1].samples.filter { $0.suffix == "_count" }.map(\.value)
        #expect(counts == [Double(loops * perLoop / 2), Double(loops * perLoop / 2)])
    }
}
