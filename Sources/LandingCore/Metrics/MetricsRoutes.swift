/// `GET /metrics` (Prometheus text format, no authentication). Served only by `application`, on
/// the separate plain `--metrics-listen` listener (meant for 127.0.0.1 or a private network), never
/// on the public HTTPS listener; without `--metrics-listen` there is no metrics endpoint.
public enum MetricsRoutes {
    public static let path = "/metrics"

    /// Runs a scrape's collection off the event loop (reading /proc and rendering are slow work) and
    /// calls back; the shell passes a serial queue, tests run it inline.
    public typealias Offload = @Sendable (_ work: @escaping @Sendable () -> Void) -> Void

    /// Adds `GET /metrics` (and so HEAD) to `router`: the metrics listener's router only (`application`).
    static func install(into router: inout Router<RouteHandler>, registry: MetricsRegistry, offload: @escaping Offload) {
        router.add(.get, path) { _, _, _ in
            .deferred { complete in
                offload {
                    let body = Array(registry.exposition().utf8)
                    complete { response(body) }
                }
            }
        }
    }

    /// The application of the separate `--metrics-listen` listener: `/metrics` and `/healthz`, nothing else.
    public static func application(registry: MetricsRegistry, offload: @escaping Offload) -> Application {
        var router = Router<RouteHandler>()
        install(into: &router, registry: registry, offload: offload)
        router.add(.get, "/healthz") { _, _, _ in .response(.text(.ok, "ok")) }
        return Application(router: router)
    }

    /// A scrape's response: the exposition text, never cached.
    public static func response(_ body: [UInt8]) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: PrometheusText.contentType)
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        return HTTPResponse(status: .ok, headers: headers, body: body)
    }
}
