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

    /// The value of `landing_webhook_events_total{event,result}`.
    static func webhooks(_ metrics: LandingFlowMetrics, _ event: String, _ result: String) -> Double? {
        metrics.families().first { $0.name == "landing_webhook_events_total" }?.samples.first {
            $0.labels == [MetricLabel("event", event), MetricLabel("result", result)]
        }?.value
    }

    /// The value of the unlabelled counter `name` in the flow's families.
    static func single(_ metrics: LandingFlowMetrics, _ name: String) -> Double? {
        metrics.families().first { $0.name == name }?.samples.first?.value
    }

    /// Webhook events keep known Pluggy names and fold everything else (and no name) into `other`; every event × result series starts at zero.
    @Test func metrics_BoundsWebhookEvents_ToKnownNames() {
        let metrics = LandingFlowMetrics()
        metrics.webhook(event: "item/updated", result: .applied)
        metrics.webhook(event: "item/updated", result: .applied)
        metrics.webhook(event: "item/updated", result: .duplicate)
        metrics.webhook(event: "item/error", result: .unavailable)
        metrics.webhook(event: "made/up\"event", result: .ignored)
        metrics.webhook(event: "", result: .ignored)
        metrics.webhook(event: nil, result: .rejected)
        let text = PrometheusText.render(metrics.families())
        #expect(text.contains("landing_webhook_events_total{event=\"item/updated\",result=\"applied\"} 2\n"))
        #expect(text.contains("landing_webhook_events_total{event=\"item/updated\",result=\"duplicate\"} 1\n"))
        #expect(text.contains("landing_webhook_events_total{event=\"item/error\",result=\"unavailable\"} 1\n"))
        #expect(text.contains("landing_webhook_events_total{event=\"item/deleted\",result=\"applied\"} 0\n"))
        #expect(text.contains("landing_webhook_events_total{event=\"other\",result=\"ignored\"} 2\n"))
        #expect(text.contains("landing_webhook_events_total{event=\"other\",result=\"rejected\"} 1\n"))
        #expect(!text.contains("made/up"))
        #expect(text.contains("# TYPE landing_callbacks_total counter\nlanding_callbacks_total{outcome=\"completed\",test=\"false\"} 0\nlanding_callbacks_total{outcome=\"completed\",test=\"true\"} 0\n"))
        #expect(WebhookMetricResult.allCases.map(\.rawValue) == ["applied", "duplicate", "ignored", "rejected", "unavailable"])
        #expect(metrics.families()[1].samples.count == (LandingFlowMetrics.knownWebhookEvents.count + 1) * WebhookMetricResult.allCases.count)
    }

    /// Every request to the webhook route counts once, by result: applied, duplicate, ignored, and rejected for a wrong or missing secret, a wrong content type, a bad payload or a body too large.
    @Test func metrics_CountsWebhookRequests_ByResult() {
        let h = LandingHarness(webhookSecret: "whsec-0123456789abcdef")
        func post(_ body: String, secret: String? = "whsec-0123456789abcdef", contentType: String = "application/json") -> HTTPStatus {
            var headers = [("Content-Type", contentType)]
            if let secret { headers.append(("X-Webhook-Secret", secret)) }
            return h.send(.post, "/webhooks/pluggy", headers: headers, body: body).status
        }
        let updated = #"{"event": "item/updated", "eventId": "e-1", "itemId": "wh-m1"}"#
        #expect(post(updated) == .ok)
        #expect(post(updated) == .ok)
        #expect(post(#"{"event": "item/updated", "eventId": "e-2", "itemId": "wh-m1"}"#) == .ok)
        #expect(post(#"{"event": "transactions/created", "eventId": "e-3"}"#) == .accepted)
        #expect(post(#"{"event": "made/up", "eventId": "e-4"}"#) == .accepted)
        #expect(post(updated, secret: "wrong-secret-0000000000") == .unauthorized)
        #expect(post(updated, secret: nil) == .unauthorized)
        #expect(post(updated, contentType: "text/plain") == .unsupportedMediaType)
        #expect(post("not json") == .badRequest)
        #expect(post(#"{"event": "item/updated", "eventId": "e-5", "itemId": "bad id"}"#) == .badRequest)
        #expect(post(String(repeating: " ", count: WebhookService.maxBodyBytes + 1)) == .contentTooLarge)
        #expect(Self.webhooks(h.metrics, "item/updated", "applied") == 2)
        #expect(Self.webhooks(h.metrics, "item/updated", "duplicate") == 1)
        #expect(Self.webhooks(h.metrics, "transactions/created", "ignored") == 1)
        #expect(Self.webhooks(h.metrics, "other", "ignored") == 1)
        #expect(Self.webhooks(h.metrics, "other", "rejected") == 6)
        #expect(Self.webhooks(h.metrics, "item/updated", "rejected") == 0, "a refused request's event name is not trusted")
        let total = h.metrics.families().first { $0.name == "landing_webhook_events_total" }!.samples.reduce(0) { $0 + $1.value }
        #expect(total == 11, "each request counts exactly once")
    }

    /// A webhook the store could not make durable counts as `unavailable` under its event.
    @Test func metrics_CountsWebhooks_AsUnavailable_WhenTheStoreFails() {
        let metrics = LandingFlowMetrics()
        let service = LandingService(
            settings: LandingSettings(publicURL: "https://landing.example.com", apiKeys: ["k"]), store: FailingStoreAccess(),
            environment: LandingEnvironment(now: { 1_800_000_000_000 }, randomBytes: { [UInt8](repeating: 7, count: $0) }),
            templates: { LandingHarness.templates }, metrics: metrics)
        let request = HTTPRequest(
            method: .post, target: WebhookService.path, path: WebhookService.path, query: nil, version: .http1_1,
            headers: HTTPHeaders([("Content-Type", "application/json"), ("X-Webhook-Secret", "s3cret")]),
            body: Array(#"{"event": "item/error", "eventId": "e-1", "itemId": "wh-u1"}"#.utf8))
        guard case .deferred(let work) = WebhookService(service: service, secret: "s3cret").handle(request) else {
            Issue.record("a mapped webhook is answered once the store answered")
            return
        }
        let status = Mutex<HTTPStatus?>(nil)
        work { build in status.withLock { $0 = build().status } }
        #expect(status.withLock { $0 } == .serviceUnavailable)
        #expect(Self.webhooks(metrics, "item/error", "unavailable") == 1)
        #expect(Self.webhooks(metrics, "item/error", "applied") == 0)
    }

    /// Each durable session counts as created (a refused one does not); both session counters start at zero.
    @Test func metrics_CountsSessionsCreated() {
        let h = LandingHarness()
        #expect(Self.single(h.metrics, "landing_sessions_created_total") == 0)
        #expect(Self.single(h.metrics, "landing_sessions_expired_total") == 0)
        #expect(h.createSession().response.status == .created)
        #expect(h.createSession(#"{"clientUserId": "u-1"}"#).response.status == .created)
        #expect(h.createSession(#"{"ttlSeconds": 5}"#).response.status == .badRequest)
        #expect(Self.single(h.metrics, "landing_sessions_created_total") == 2)
        let text = PrometheusText.render(h.metrics.families())
        #expect(text.contains("# TYPE landing_sessions_created_total counter\nlanding_sessions_created_total 2\n"))
        #expect(text.contains("# TYPE landing_sessions_expired_total counter\nlanding_sessions_expired_total 0\n"))
    }

    /// A session still pending when its expiry passes counts as expired, once; a completed, failed or deleted one does not.
    @Test func metrics_CountsSessionsExpired_OnlyWhenStillPendingAtExpiry() throws {
        let h = LandingHarness()
        let pending = try #require(h.createSession().id)
        let completed = try #require(h.createSession().id)
        let failed = try #require(h.createSession().id)
        let deleted = try #require(h.createSession().id)
        _ = pending
        #expect(h.service.sessionExpiry.watchedCount == 4)
        #expect(h.send(.get, "/oauth/callback/\(completed)?itemId=exp-1&code=c").status == .ok)
        _ = h.send(.get, "/oauth/callback/\(failed)?error=access_denied")
        #expect(h.send(.delete, "/v1/sessions/\(deleted)", headers: [("Authorization", "Bearer \(LandingHarness.apiKey)")]).status == .noContent)
        h.advance(seconds: 1799)
        h.runDueWork()
        #expect(Self.single(h.metrics, "landing_sessions_expired_total") == 0, "nothing has expired yet")
        h.advance(seconds: 2)
        h.runDueWork()
        #expect(Self.single(h.metrics, "landing_sessions_expired_total") == 1)
        #expect(h.service.sessionExpiry.watchedCount == 0, "each session is looked at once")
        h.advance(seconds: 3600)
        h.runDueWork()
        #expect(Self.single(h.metrics, "landing_sessions_expired_total") == 1)
    }

    /// A look at an expired session that the store cannot answer is retried later; it still counts once.
    @Test func metrics_RetriesTheExpiryLook_WhenTheStoreIsDown() throws {
        let h = LandingHarness()
        _ = try #require(h.createSession(#"{"ttlSeconds": 60}"#).id)
        h.readsFail.value.withLock { $0 = true }
        h.advance(seconds: 61)
        h.runDueWork()
        #expect(Self.single(h.metrics, "landing_sessions_expired_total") == 0)
        #expect(h.service.sessionExpiry.watchedCount == 1, "still followed after a failed read")
        h.readsFail.value.withLock { $0 = false }
        h.advance(seconds: Int64(SessionExpiryWatch.retryDelay))
        h.runDueWork()
        #expect(Self.single(h.metrics, "landing_sessions_expired_total") == 1)
        #expect(h.service.sessionExpiry.watchedCount == 0)
    }

    /// After `maxAttempts` failed reads the session is given up, uncounted, and no longer followed.
    @Test func metrics_GivesUpTheExpiryLook_AfterMaxAttempts() throws {
        let h = LandingHarness()
        _ = try #require(h.createSession(#"{"ttlSeconds": 60}"#).id)
        h.readsFail.value.withLock { $0 = true }
        h.advance(seconds: 61)
        for _ in 0..<SessionExpiryWatch.maxAttempts {
            h.runDueWork()
            h.advance(seconds: Int64(SessionExpiryWatch.retryDelay))
        }
        h.runDueWork()
        #expect(h.service.sessionExpiry.watchedCount == 0)
        #expect(h.scheduled.value.withLock { $0.isEmpty })
        #expect(Self.single(h.metrics, "landing_sessions_expired_total") == 0)
    }

    /// A look that comes before the session's expiry by this clock (a timer early, a clock stepped back) looks again later.
    @Test func metrics_LooksAgain_WhenTheSessionIsNotExpiredYet() throws {
        let h = LandingHarness()
        _ = try #require(h.createSession(#"{"ttlSeconds": 60}"#).id)
        let work = h.scheduled.value.withLock { items in defer { items.removeAll() }; return items.map(\.work) }
        #expect(work.count == 1)
        work.forEach { $0() }  // fired at once, 60 s early
        #expect(Self.single(h.metrics, "landing_sessions_expired_total") == 0)
        #expect(h.scheduled.value.withLock { $0.count } == 1)
        h.advance(seconds: 61)
        h.runDueWork()
        #expect(Self.single(h.metrics, "landing_sessions_expired_total") == 1)
    }

    /// `landing_build_info` is a gauge of 1 labelled with the version.
    @Test func metrics_BuildInfo_IsAGaugeLabelledWithTheVersion() {
        let text = PrometheusText.render([.buildInfo(version: "0.1.0")])
        #expect(text == "# HELP landing_build_info The running build: always 1, labelled with its version.\n# TYPE landing_build_info gauge\nlanding_build_info{version=\"0.1.0\"} 1\n")
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
