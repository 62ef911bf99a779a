import Foundation
import Testing
@testable import LandingCore

@Suite struct LandingCallbackTests {
    /// A callback with an item id completes the item, renders the success page and is durable in the store.
    @Test func callback_CompletesItem_WhenItemIdPresent() throws {
        let h = LandingHarness()
        let r = h.send(.get, "/oauth/callback?itemId=item-1&code=SECRETCODE&state=SECRETSTATE")
        #expect(r.status.code == 200)
        #expect(r.text.contains("You&#39;re connected") || r.text.contains("You're connected"))
        let record = try #require(try h.store.item(id: "item-1"))
        #expect(record.status == .completed)
        #expect(record.hits == 1)
        #expect(!record.rawParameters.contains { $0.name == "code" || $0.name == "state" || $0.value.contains("SECRET") })
        #expect(!r.text.contains("SECRET"))
    }

    /// `item_id` is accepted like `itemId`.
    @Test func callback_AcceptsItemUnderscoreId() throws {
        let h = LandingHarness()
        _ = h.send(.get, "/oauth/callback?item_id=item-2")
        #expect(try h.store.item(id: "item-2")?.status == .completed)
    }

    /// A refresh renders the same outcome, counts the hit, and is not a second completion.
    @Test func callback_RefreshKeepsFirstOutcome_AndCountsHits() throws {
        let h = LandingHarness()
        _ = h.send(.get, "/oauth/callback?itemId=item-3&error=access_denied")
        h.advance(seconds: 5)
        let again = h.send(.get, "/oauth/callback?itemId=item-3")
        #expect(again.text.contains("data-status=\"failed\""))
        let record = try #require(try h.store.item(id: "item-3"))
        #expect(record.hits == 2)
        #expect(record.status == .failed)
        #expect(record.completedAt == 1_800_000_000_000)
    }

    /// An OAuth error on a session's path fails the record with its code, shows the mapped message, and the bank's description escaped.
    @Test func callback_FailsWithMappedMessage_WhenErrorPresent() throws {
        let h = LandingHarness()
        let sessionId = try #require(h.createSession().id)
        let r = h.send(.get, "/oauth/callback/\(sessionId)?itemId=item-4&error=access_denied&error_description=User%20said%20%3Cb%3Eno%3C/b%3E")
        #expect(r.status.code == 200)
        #expect(r.text.contains("You cancelled the authorization at your bank"))
        #expect(r.text.contains("User said &lt;b&gt;no&lt;/b&gt;"))
        let record = try #require(try h.store.item(id: "item-4"))
        #expect(record.status == .failed)
        #expect(record.error == LandingError(code: "access_denied", description: "User said <b>no</b>"))
    }

    /// Content spoofing: an item id nobody announced (no session, no webhook) shows only the server's message for the code, never the URL's description; the record keeps it for the app.
    @Test func callback_HidesDescription_WhenCallbackCannotBeAttributed() throws {
        let h = LandingHarness()
        let spoof = "Call%20%2B55%2011%200000-0000%20to%20verify%20your%20account"
        let r = h.send(.get, "/oauth/callback?itemId=made-up-1&error=access_denied&error_description=\(spoof)")
        #expect(r.text.contains("You cancelled the authorization at your bank"))
        #expect(!r.text.contains("to verify your account"))
        #expect(!r.text.contains("0000-0000"))
        #expect(try h.store.item(id: "made-up-1")?.error?.description == "Call +55 11 0000-0000 to verify your account")
        // A refresh of the same made-up item: still hidden.
        #expect(!h.send(.get, "/oauth/callback?itemId=made-up-1&error=access_denied").text.contains("to verify"))
        // No item id and no session at all: unidentified, and the description is not shown either.
        #expect(!h.send(.get, "/oauth/callback?error=access_denied&error_description=\(spoof)").text.contains("to verify"))
    }

    /// An item a webhook announced before the browser came back is attributable: its first callback shows the bank's description.
    @Test func callback_ShowsDescription_WhenWebhookKnewTheItem() throws {
        let h = LandingHarness()
        _ = try h.store.applyWebhook(WebhookEvent(event: "item/waiting_user_action", eventId: "ev-k1", itemId: "known-1", receivedAt: 1_000))
        let r = h.send(.get, "/oauth/callback?itemId=known-1&error=access_denied&error_description=Consentimento%20negado")
        #expect(r.text.contains("Consentimento negado"))
    }

    /// RFC 6749 §3.1: a repeated parameter is invalid_request (400) and nothing is recorded.
    @Test func callback_Rejects_RepeatedParameter() throws {
        let h = LandingHarness()
        let r = h.send(.get, "/oauth/callback?itemId=a&itemId=b")
        #expect(r.status.code == 400)
        #expect(try h.store.item(id: "a") == nil)
        #expect(try h.store.item(id: "b") == nil)
    }

    /// RFC 6749 §3.1: an empty value counts as omitted, so it neither repeats nor sets a parameter.
    @Test func callback_TreatsEmptyValueAsOmitted() throws {
        let h = LandingHarness()
        let r = h.send(.get, "/oauth/callback?itemId=&itemId=item-5&error=")
        #expect(r.status.code == 200)
        #expect(try h.store.item(id: "item-5")?.status == .completed)
    }

    /// Malformed encodings and invalid item ids are 400 pages, with nothing recorded.
    @Test(arguments: ["itemId=a%2", "itemId=a%zz", "itemId=%C3%28", "itemId=a%20b", "itemId=" + String(repeating: "x", count: 129), "itemId=a/b"])
    func callback_Rejects_BadEncodingOrItemId(query: String) {
        let h = LandingHarness()
        let r = h.send(.get, "/oauth/callback?" + query)
        #expect(r.status.code == 400)
        #expect(r.text.contains("data-status=\"invalid\""))
        #expect(r.text.contains("What was wrong:"))
        #expect(!r.text.contains("Message from your bank:"))
    }

    /// Neither an item id nor a session: a friendly 400 that still offers the return link.
    @Test func callback_Answers400Unidentified_WithReturnLink() {
        let h = LandingHarness()
        let r = h.send(.get, "/oauth/callback?foo=bar", headers: [("User-Agent", UA.iPhone)])
        #expect(r.status.code == 400)
        #expect(r.text.contains("We couldn&#39;t identify this connection") || r.text.contains("identify this connection"))
        #expect(r.text.contains("href=\"https://app.example.com/done\""))
    }

    /// HEAD renders the page but records nothing.
    @Test func callback_Head_RecordsNothing() throws {
        let h = LandingHarness()
        let r = h.send(.head, "/oauth/callback?itemId=item-6")
        #expect(r.status.code == 200)
        #expect(try h.store.item(id: "item-6") == nil)
    }

    /// HEAD previews what a GET would show (the stored outcome, an unknown session's expired page) and counts nothing.
    @Test func callback_Head_PreviewsStoredOutcome() throws {
        let h = LandingHarness()
        _ = h.send(.get, "/oauth/callback?itemId=hp-1")
        let head = h.send(.head, "/oauth/callback?itemId=hp-1&error=access_denied")
        #expect(head.text.contains("data-status=\"completed\""))
        #expect(try h.store.item(id: "hp-1")?.hits == 1)
        #expect(h.send(.head, "/oauth/callback/AAAAAAAAAAAAAAAAAAAAAA?itemId=hp-2").status.code == 404)
    }

    /// Link-preview bots get the page but change no state.
    @Test func callback_LinkPreviewBot_RecordsNothing() throws {
        let h = LandingHarness()
        _ = h.send(.get, "/oauth/callback?itemId=item-7", headers: [("User-Agent", UA.slackbot)])
        #expect(try h.store.item(id: "item-7") == nil)
    }

    /// form_post: a POSTed form body is a callback like a query.
    @Test func callback_FormPost_IsRecorded() throws {
        let h = LandingHarness()
        let r = h.send(.post, "/oauth/callback", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "itemId=item-8&state=s&code=c")
        #expect(r.status.code == 200)
        #expect(try h.store.item(id: "item-8")?.status == .completed)
    }

    /// A POST that is not a form is 415, nothing recorded.
    @Test func callback_FormPost_RejectsOtherContentTypes() throws {
        let h = LandingHarness()
        let r = h.send(.post, "/oauth/callback", headers: [("Content-Type", "application/json")], body: "{\"itemId\":\"item-9\"}")
        #expect(r.status.code == 415)
        #expect(try h.store.item(id: "item-9") == nil)
    }

    /// An empty query renders the fragment relay page; the relay's JSON POST records the outcome.
    @Test func callback_FragmentRelay_RecordsThroughJSONPost() throws {
        let h = LandingHarness()
        let page = h.send(.get, "/oauth/callback")
        #expect(page.status.code == 200)
        #expect(page.text.contains("\"relay\":true"))
        let r = h.send(.post, "/oauth/callback", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")], body: "itemId=item-10&error=server_error")
        #expect(r.headers["Content-Type"] == "application/json")
        #expect(r.json["status"] as? String == "failed")
        #expect(r.json["itemId"] as? String == "item-10")
        #expect(try h.store.item(id: "item-10")?.status == .failed)
    }

    /// Redirect-looking parameters are never used: the return link comes from configuration only.
    @Test func callback_IgnoresReturnParameters_NoOpenRedirect() {
        let h = LandingHarness()
        let r = h.send(.get, "/oauth/callback?itemId=item-11&return_to=https://evil.example/&redirect=https://evil.example/&next=//evil.example", headers: [("User-Agent", UA.iPhone), ("X-Forwarded-Host", "evil.example")])
        #expect(r.text.contains("href=\"https://app.example.com/done\""))
        #expect(!r.text.contains("href=\"https://evil"))
        #expect(!r.text.contains("href=\"//evil"))
    }
}

/// A landing application over `LandingHarness`'s store, clock and templates, with its own
/// callback limiter and metrics, sending from a chosen client address.
private struct LimitedLanding {
    let harness = LandingHarness()
    let metrics = LandingFlowMetrics()
    let application: Application

    init(limit: Int) {
        let base = harness.service
        let service = LandingService(
            settings: base.settings, store: base.store, environment: base.environment, templates: base.templates,
            waiters: base.waiters, metrics: metrics, callbackLimiter: CallbackRateLimiter(limit: limit))
        var router = Router<RouteHandler>()
        CoreRoutes.install(into: &router) { true }
        service.install(into: &router)
        application = Application(router: router)
    }

    func send(
        _ method: HTTPMethod = .get, _ target: String, from address: String = "198.51.100.7",
        headers: [(String, String)] = [], body: String = ""
    ) -> HTTPResponse {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let request = HTTPRequest(
            method: method, target: target, path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : nil,
            version: .http1_1, headers: HTTPHeaders([("Host", "landing.example.com")] + headers), body: Array(body.utf8))
        switch application.handle(request, context: RequestContext(requestID: "t", remoteAddress: address, isSecure: true)) {
        case .response(let response):
            return response
        case .deferred(let work):
            let box = LandingHarness.Cell<HTTPResponse?>(nil)
            work { build in box.value.withLock { $0 = build() } }
            return box.value.withLock { $0 }!
        }
    }

    func rateLimitedCount() -> Double? {
        metrics.families()[0].samples.first {
            $0.labels == [MetricLabel("outcome", "rate_limited"), MetricLabel("test", "false")]
        }?.value
    }
}

@Suite struct LandingCallbackRateLimitTests {
    /// Beyond the limit a callback gets 429 with Retry-After and a readable page, and the store is not touched.
    @Test func callback_Refuses429WithRetryAfter_WhenOverLimit() throws {
        let landing = LimitedLanding(limit: 3)
        for n in 0..<3 { #expect(landing.send(.get, "/oauth/callback?itemId=ok-\(n)").status.code == 200) }
        let r = landing.send(
            .get, "/oauth/callback?itemId=echoprobe77&code=SECRETCODE&state=SECRETSTATE&x=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            headers: [("User-Agent", UA.desktop)])
        #expect(r.status.code == 429)
        #expect(r.status.reasonPhrase == "Too Many Requests")
        #expect(r.headers["Retry-After"] == "60")
        #expect(r.headers["Content-Type"] == "text/html; charset=utf-8")
        #expect(r.headers["Cache-Control"] == "no-store")
        #expect(r.headers["Content-Security-Policy"]?.contains("default-src 'none'") == true)
        #expect(r.text.contains("<title>Too many attempts</title>"))
        #expect(r.text.contains("data-status=\"rate_limited\""))
        for echoed in ["SECRET", "<script>alert", "echoprobe77"] { #expect(!r.text.contains(echoed), "\(echoed)") }
        #expect(try landing.harness.store.item(id: "echoprobe77") == nil)
        #expect(try landing.harness.store.item(id: "ok-2") != nil)
        #expect(landing.rateLimitedCount() == 1)
    }

    /// Retry-After counts down to the end of the address's window; after it, callbacks pass again.
    @Test func callback_AllowsAgain_AfterRetryAfter() throws {
        let landing = LimitedLanding(limit: 1)
        #expect(landing.send(.get, "/oauth/callback?itemId=a").status.code == 200)
        landing.harness.advance(seconds: 20)
        #expect(landing.send(.get, "/oauth/callback?itemId=b").headers["Retry-After"] == "40")
        landing.harness.advance(seconds: 40)
        #expect(landing.send(.get, "/oauth/callback?itemId=b").status.code == 200)
        #expect(try landing.harness.store.item(id: "b") != nil)
    }

    /// Another client address has its own budget.
    @Test func callback_KeepsBudgetPerAddress() {
        let landing = LimitedLanding(limit: 1)
        #expect(landing.send(.get, "/oauth/callback?itemId=a", from: "192.0.2.1").status.code == 200)
        #expect(landing.send(.get, "/oauth/callback?itemId=a", from: "192.0.2.1").status.code == 429)
        #expect(landing.send(.get, "/oauth/callback?itemId=a", from: "192.0.2.2").status.code == 200)
    }

    /// GET, HEAD, link-preview bots, POST (form_post and the relay's JSON fetch), the session path
    /// and the empty relay page all count as callbacks.
    @Test func callback_CountsEveryCallbackShape() {
        let landing = LimitedLanding(limit: 6)
        let form = [("Content-Type", "application/x-www-form-urlencoded")]
        #expect(landing.send(.get, "/oauth/callback?itemId=a").status.code == 200)
        #expect(landing.send(.head, "/oauth/callback?itemId=a").status.code == 200)
        #expect(landing.send(.get, "/oauth/callback?itemId=a", headers: [("User-Agent", UA.slackbot)]).status.code == 200)
        #expect(landing.send(.post, "/oauth/callback", headers: form, body: "itemId=b").status.code == 200)
        #expect(landing.send(.get, "/oauth/callback").status.code == 200)
        #expect(landing.send(.get, "/oauth/callback/AAAAAAAAAAAAAAAAAAAAAA?itemId=c").status.code == 404)
        #expect(landing.send(.head, "/oauth/callback?itemId=a").status.code == 429)
        #expect(landing.send(.get, "/oauth/callback?itemId=a", headers: [("User-Agent", UA.slackbot)]).status.code == 429)
        #expect(landing.send(.get, "/oauth/callback/AAAAAAAAAAAAAAAAAAAAAA?itemId=c").status.code == 429)
        let json = landing.send(.post, "/oauth/callback", headers: form + [("Accept", "application/json")], body: "itemId=b")
        #expect(json.status.code == 429)
        #expect(json.headers["Retry-After"] != nil)
        #expect(json.json["status"] as? String == "rate_limited")
        #expect(json.json["title"] as? String == "Too many attempts")
        #expect(landing.rateLimitedCount() == 4)
    }

    /// The status API and the health check never count against, nor are refused by, the callback limit.
    @Test func callback_LimitIgnoresAPIAndHealth() {
        let landing = LimitedLanding(limit: 1)
        let auth = [("Authorization", "Bearer \(LandingHarness.apiKey)")]
        for _ in 0..<5 {
            #expect(landing.send(.get, "/v1/items/nothing", headers: auth).status.code == 404)
            #expect(landing.send(.get, "/healthz").status.code == 200)
        }
        #expect(landing.send(.get, "/oauth/callback?itemId=a").status.code == 200)
        #expect(landing.send(.get, "/oauth/callback?itemId=a").status.code == 429)
        #expect(landing.send(.get, "/v1/items/a", headers: auth).status.code == 200)
        #expect(landing.send(.get, "/healthz").status.code == 200)
    }

    /// The 429 page is localized like the other pages, and HEAD gets its headers without a body.
    @Test func callback_Localizes429Page_AndHonoursHead() {
        let landing = LimitedLanding(limit: 1)
        _ = landing.send(.get, "/oauth/callback?itemId=a")
        let pt = landing.send(.get, "/oauth/callback?itemId=a", headers: [("Accept-Language", "pt-BR")])
        #expect(pt.status.code == 429)
        #expect(pt.text.contains("<title>Muitas tentativas</title>"))
        let head = landing.send(.head, "/oauth/callback?itemId=a")
        #expect(head.status.code == 429)
        #expect(head.headers["Retry-After"] != nil)
    }

    /// A limit of 0 means no limit.
    @Test func callback_NeverRefuses_WhenLimitIsZero() {
        let landing = LimitedLanding(limit: 0)
        for n in 0..<50 { #expect(landing.send(.get, "/oauth/callback?itemId=n\(n)").status.code == 200) }
    }
}
