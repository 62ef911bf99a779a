import Synchronization
import Testing
@testable import LandingCore

/// Callback outcomes and webhook events counted through `LandingMetricsSink`, and the `/metrics` routes.
@Suite struct MetricsLandingFlowTests {
    /// A store that is down: every call fails (the page says "unavailable").
    struct FailingStoreAccess: LandingStoreAccess {
        func write(_ write: StoreWrite, completion: @escaping @Sendable (Result<StoreWriteResult, StoreError>) -> Void) {
            completion(.failure(StoreError(.unavailable, "down")))
        }
        func perform<T: Sendable>(
            _ work: @escaping @Sendable (LandingStore) throws(StoreError) -> T,
            completion: @escaping @Sendable (Result<T, StoreError>) -> Void
        ) {
            completion(.failure(StoreError(.unavailable, "down")))
        }
    }

    /// A landing service over `store` that counts into `metrics`, routed like the server does.
    static func application(metrics: LandingFlowMetrics, store: LandingStoreAccess = InlineStoreAccess(store: MemoryStore()), qa: Bool = false) -> Application {
        var settings = LandingSettings(publicURL: "https://landing.example.com", sessionTTL: 1800, apiKeys: ["k"])
        settings.qa = qa
        let service = LandingService(
            settings: settings,
            store: store,
            environment: LandingEnvironment(now: { 1_800_000_000_000 }, randomBytes: { [UInt8](repeating: 7, count: $0) }),
            templates: { LandingHarness.templates }, metrics: metrics)
        var router = Router<RouteHandler>()
        service.install(into: &router)
        return Application(router: router)
    }

    /// Runs `target` through `application` (deferred work inline) and returns the response and route label.
    static func send(_ application: Application, _ method: HTTPMethod, _ target: String, headers: [(String, String)] = []) -> (HTTPResponse, String) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let request = HTTPRequest(
            method: method, target: target, path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : nil, version: .http1_1,
            headers: HTTPHeaders([("Host", "landing.example.com")] + headers), body: [])
        let (result, route) = application.handleRouted(request, context: RequestContext(requestID: "t", remoteAddress: "127.0.0.1", isSecure: true))
        switch result {
        case .response(let response):
            return (response, route)
        case .deferred(let work):
            let box = Mutex<HTTPResponse?>(nil)
            work { build in box.withLock { $0 = build() } }
            return (box.withLock { $0 }!, route)
        }
    }

    /// The value of `landing_callbacks_total{outcome,test}`.
    static func callbacks(_ metrics: LandingFlowMetrics, _ outcome: String, test: Bool = false) -> Double? {
        metrics.families()[0].samples.first {
            $0.labels == [MetricLabel("outcome", outcome), MetricLabel("test", test ? "true" : "false")]
        }?.value
    }

    /// Each kind of callback page is counted once under its outcome; HEAD is a preview; the route label is the pattern.
    @Test func metrics_CountsCallbacksByOutcome() {
        let metrics = LandingFlowMetrics()
        let app = Self.application(metrics: metrics)
        let (completed, route) = Self.send(app, .get, "/oauth/callback?itemId=item-1&code=c")
        #expect(completed.status == .ok)
        #expect(route == "/oauth/callback")
        _ = Self.send(app, .get, "/oauth/callback?itemId=item-2&error=access_denied")
        _ = Self.send(app, .get, "/oauth/callback?itemId=a&itemId=b")
        _ = Self.send(app, .get, "/oauth/callback?code=c")
        _ = Self.send(app, .get, "/oauth/callback")
        let (expired, sessionRoute) = Self.send(app, .get, "/oauth/callback/AAAAAAAAAAAAAAAAAAAAAA?code=c")
        #expect(expired.status == .notFound)
        #expect(sessionRoute == "/oauth/callback/{sessionId}")
        _ = Self.send(app, .get, "/oauth/callback/short?code=c")
        _ = Self.send(app, .head, "/oauth/callback?itemId=item-3")
        #expect(Self.callbacks(metrics, "completed") == 1)
        #expect(Self.callbacks(metrics, "failed") == 1)
        #expect(Self.callbacks(metrics, "invalid") == 1)
        #expect(Self.callbacks(metrics, "unidentified") == 1)
        #expect(Self.callbacks(metrics, "relay") == 1)
        #expect(Self.callbacks(metrics, "expired") == 2)
        #expect(Self.callbacks(metrics, "preview") == 1)
        #expect(Self.callbacks(metrics, "unavailable") == 0)
        #expect(Self.callbacks(metrics, "completed", test: true) == 0)
    }

    /// With --qa, a callback marked by a QA override is counted with test="true", whatever its outcome.
    @Test func metrics_CountsQACallbacks_AsTest() {
        let metrics = LandingFlowMetrics()
        let app = Self.application(metrics: metrics, qa: true)
        _ = Self.send(app, .get, "/oauth/callback?itemId=item-q1&qa=1")
        _ = Self.send(app, .get, "/oauth/callback?qa=1&itemId=a&itemId=b")
        _ = Self.send(app, .get, "/oauth/callback?itemId=item-q2")
        #expect(Self.callbacks(metrics, "completed", test: true) == 1)
        #expect(Self.callbacks(metrics, "invalid", test: true) == 1)
        #expect(Self.callbacks(metrics, "completed", test: false) == 1)
    }

    /// A store failure is counted as `unavailable`.
    @Test func metrics_CountsCallbacks_AsUnavailable_WhenTheStoreFails() {
        let metrics = LandingFlowMetrics()
        let (response, _) = Self.send(Self.application(metrics: metrics, store: FailingStoreAccess()), .get, "/oauth/callback?itemId=item-1")
        #expect(response.status == .serviceUnavailable)
        #expect(Self.callbacks(metrics, "unavailable") == 1)
    }

    /// Webhook events keep known Pluggy names and fold everything else into `other`; every series starts at zero.
    @Test func metrics_BoundsWebhookEvents_ToKnownNames() {
        let metrics = LandingFlowMetrics()
        metrics.webhook(event: "item/updated")
        metrics.webhook(event: "item/updated")
        metrics.webhook(event: "item/error")
        metrics.webhook(event: "made/up\"event")
        metrics.webhook(event: "")
        let text = PrometheusText.render(metrics.families())
        #expect(text.contains("landing_webhook_events_total{event=\"item/updated\"} 2\n"))
        #expect(text.contains("landing_webhook_events_total{event=\"item/error\"} 1\n"))
        #expect(text.contains("landing_webhook_events_total{event=\"item/deleted\"} 0\n"))
        #expect(text.contains("landing_webhook_events_total{event=\"other\"} 2\n"))
        #expect(!text.contains("made/up"))
        #expect(text.contains("# TYPE landing_callbacks_total counter\nlanding_callbacks_total{outcome=\"completed\",test=\"false\"} 0\nlanding_callbacks_total{outcome=\"completed\",test=\"true\"} 0\n"))
        #expect(metrics.families()[1].samples.count == LandingFlowMetrics.knownWebhookEvents.count + 1)
    }

    /// The metrics listener's application serves /metrics (Prometheus content type, collected through the offload) and /healthz, nothing else.
    @Test func metrics_ServesExposition_OnTheMetricsApplication() {
        let registry = MetricsRegistry()
        registry.register { [.single("up_things", help: "Things.", kind: .gauge, value: 4)] }
        let offloaded = Mutex(0)
        let app = MetricsRoutes.application(registry: registry) { work in
            offloaded.withLock { $0 += 1 }
            work()
        }
        let (scrape, route) = Self.send(app, .get, "/metrics")
        #expect(route == "/metrics")
        #expect(scrape.status == .ok)
        #expect(scrape.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(String(decoding: scrape.body, as: UTF8.self) == "# HELP up_things Things.\n# TYPE up_things gauge\nup_things 4\n")
        #expect(offloaded.withLock { $0 } == 1)
        #expect(Self.send(app, .get, "/healthz").0.status == .ok)
        let (other, otherRoute) = Self.send(app, .get, "/")
        #expect(other.status == .notFound)
        #expect(otherRoute == "unmatched")
        #expect(Self.send(app, .post, "/metrics").0.status == .methodNotAllowed)
    }

    /// `NoLandingMetrics` is the service's default sink.
    @Test func metrics_LandingService_DefaultsToNoMetrics() {
        let service = LandingService(
            settings: LandingSettings(publicURL: "https://x.example", apiKeys: []), store: InlineStoreAccess(store: MemoryStore()),
            environment: LandingEnvironment(now: { 0 }, randomBytes: { [UInt8](repeating: 0, count: $0) }), templates: { LandingHarness.templates })
        #expect(service.metrics is NoLandingMetrics)
    }
}
