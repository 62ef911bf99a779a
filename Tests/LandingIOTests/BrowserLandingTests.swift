import Foundation
import Testing

@testable import LandingCore

extension BrowserTests {
    /// A page on another origin opens the landing page with window.open: the popup posts its result to that exact origin and closes itself.
    @Test func browser_PopupClosesItself_AndOpenerReceivesMessage() throws {
        let (fixture, session) = try start()
        defer { session.quit() }
        let itemId = BrowserFixture.itemId("popup")
        let landingURL = Self.callback(fixture, "?itemId=" + itemId)
        try session.navigate(fixture.openerOrigin + "/qa/opener?url=" + Self.encode(landingURL))
        let openerWindow = try session.windowHandle()
        try session.click(try session.findElement(css: "#open"))
        let done = try session.waitUntil(timeout: 10) {
            try session.text(try session.findElement(css: "#popup-state")) == "closed"
                && !(try session.findElements(css: "#messages li")).isEmpty
        }
        let popupState = try session.text(try session.findElement(css: "#popup-state"))
        #expect(done, "popup state: \(popupState)")
        let messages = try session.findElements(css: "#messages li")
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        #expect(try session.attribute("data-origin", of: message) == fixture.landingOrigin)
        let json = try #require(try session.attribute("data-json", of: message))
        let data = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(data["type"] as? String == "oauth-landing")
        #expect(data["itemId"] as? String == itemId)
        #expect(data["status"] as? String == "completed")
        #expect(data["error"] is NSNull && data["sessionId"] is NSNull)
        #expect(try session.windowHandles() == [openerWindow])
        #expect(try fixture.readItem(itemId).json["status"] as? String == "completed")
        try expectCleanLog(session)
    }

    /// Navigated to directly, the desktop page cannot close itself: the window stays and the fallback (with the return link) shows within 1 s.
    @Test func browser_DirectNavigation_KeepsWindowOpen_AndShowsFallbackWithinOneSecond() throws {
        let (fixture, session) = try start()
        defer { session.quit() }
        // why: timed by the page's own clock (a MutationObserver installed before any page script),
        // so a slow or busy test machine's WebDriver round trips do not count against the page.
        try session.cdp("Page.addScriptToEvaluateOnNewDocument", ["source": Self.fallbackTimer])
        let url = Self.callback(fixture, "?itemId=" + BrowserFixture.itemId("direct"))
        try arrive(session, at: url, from: fixture)
        let shown = try session.waitUntil(timeout: 5) { try session.execute("return window.__fallbackShownAfter") != nil }
        #expect(shown, "the fallback never became visible")
        let after = try session.execute("return window.__fallbackShownAfter") as? Double ?? .infinity
        #expect(after < 1000, "fallback visible \(after) ms after the page was parsed")
        #expect(try session.isDisplayed(css: "#fallback"))
        #expect(try session.windowHandles().count == 1)
        #expect(try session.execute("return window.closed") as? Bool == false)
        #expect(try session.currentURL() == url)
        #expect(try pageStatus(session) == "completed")
        #expect(try session.text(try session.findElement(css: "h1")) == "You're connected")
        #expect(try session.text(try session.findElement(css: "#fallback")) == "You can close this window and go back to the app.")
        let link = try session.findElement(css: "#return")
        #expect(try session.isDisplayed(link))
        #expect(try session.attribute("href", of: link) == BrowserFixture.returnURL)
        try BrowserScreenshots.save(session, as: "desktop")
        try expectCleanLog(session)
    }

    /// Records in `window.__fallbackShownAfter` how many ms after the document was parsed (the page's
    /// script runs while it is parsed) `#fallback` lost its `hidden` attribute.
    static let fallbackTimer = """
        (function () {
          var parsed = null;
          document.addEventListener("DOMContentLoaded", function () { parsed = performance.now(); });
          new MutationObserver(function () {
            var fallback = document.getElementById("fallback");
            if (fallback && !fallback.hidden && window.__fallbackShownAfter === undefined) {
              window.__fallbackShownAfter = performance.now() - (parsed === null ? performance.now() : parsed);
            }
          }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["hidden"] });
        })();
        """

    /// On a phone (iPhone and Android emulation) the page shows the return button with the configured link and never navigates by itself.
    @Test(arguments: ["iPhone", "Android"])
    func browser_Mobile_ShowsReturnButton_AndNeverNavigatesByItself(device: String) throws {
        let profile: BrowserProfile = device == "iPhone" ? .iPhone : .android
        let (fixture, session) = try start(profile)
        defer { session.quit() }
        let url = Self.callback(fixture, "?itemId=" + BrowserFixture.itemId("mobile"))
        try arrive(session, at: url, from: fixture)
        let link = try session.findElement(css: "#return")
        #expect(try session.waitUntil(timeout: 2) { try session.isDisplayed(link) })
        let expected = device == "iPhone"
            ? BrowserFixture.returnURL
            : "intent://app.example.com/connected#Intent;scheme=https;package=\(BrowserFixture.androidPackage);S.browser_fallback_url=https%3A%2F%2Fapp.example.com%2Fconnected;end"
        #expect(try session.attribute("href", of: link) == expected)
        #expect(try session.text(link) == "Return to the app")
        #expect(try session.execute("return document.documentElement.getAttribute('data-device')") as? String == device.lowercased())
        #expect(try session.execute("return innerWidth") as? Int == profile.mobile?.width)
        // why: proving that nothing happens needs a wait; it fails as soon as anything moves.
        let moved = try session.waitUntil(timeout: 1.5, interval: 0.1) {
            try session.currentURL() != url || (try session.windowHandles()).count != 1
        }
        let finalURL = try session.currentURL()
        #expect(!moved, "the page navigated or opened a window by itself: \(finalURL)")
        #expect(try !session.isDisplayed(css: "#fallback"))
        try BrowserScreenshots.save(session, as: "mobile-" + device.lowercased())
        try expectCleanLog(session)
    }

    /// A fragment-only callback (response_mode=fragment) is relayed by the page; the record becomes completed, as the status API reads it.
    @Test func browser_FragmentCallback_CompletesRecord_ReadThroughStatusAPI() throws {
        let (fixture, session) = try start()
        defer { session.quit() }
        let itemId = BrowserFixture.itemId("fragment")
        try arrive(session, at: Self.callback(fixture, "#itemId=" + itemId), from: fixture)
        let completed = try session.waitUntil(timeout: 10) { try pageStatus(session) == "completed" }
        let status = try pageStatus(session)
        #expect(completed, "data-status \(status ?? "nil")")
        #expect(try session.text(try session.findElement(css: "h1")) == "You're connected")
        #expect(try session.execute("return location.hash") as? String == "")
        let record = try fixture.readItem(itemId)
        #expect(record.status == 200)
        #expect(record.json["status"] as? String == "completed")
        #expect(record.json["itemId"] as? String == itemId)
        #expect(record.json["callbacks"] as? Int == 1)
        try expectCleanLog(session)
    }

    /// A browser that prefers Brazilian Portuguese gets the page in pt-BR (on a phone: the button too).
    @Test func browser_PortugueseBrowser_GetsPtBRPage() throws {
        var profile = BrowserProfile.iPhone
        profile.acceptLanguage = "pt-BR,pt;q=0.9"
        let (fixture, session) = try start(profile)
        defer { session.quit() }
        try arrive(session, at: Self.callback(fixture, "?itemId=" + BrowserFixture.itemId("ptbr")), from: fixture)
        #expect(try session.execute("return document.documentElement.lang") as? String == "pt-BR")
        #expect(try session.title() == "Conexão concluída")
        #expect(try session.text(try session.findElement(css: "h1")) == "Conexão concluída")
        #expect(try session.text(try session.findElement(css: "#message")) == "Seu banco autorizou a conexão. Você já pode voltar para o app.")
        let link = try session.findElement(css: "#return")
        #expect(try session.waitUntil(timeout: 2) { try session.isDisplayed(link) })
        #expect(try session.text(link) == "Voltar para o app")
        try BrowserScreenshots.save(session, as: "pt-BR")
        try expectCleanLog(session)
    }

    /// An OAuth error on a live session's path shows the localized explanation and the bank's description, with the fallback on desktop.
    @Test func browser_ErrorCallback_ShowsExplanationAndBankDetail() throws {
        let (fixture, session) = try start()
        defer { session.quit() }
        let itemId = BrowserFixture.itemId("error")
        let sessionId = try fixture.createSession()
        let query = "/\(sessionId)?itemId=\(itemId)&error=access_denied&error_description=" + Self.encode("The user cancelled the consent at the bank.")
        try arrive(session, at: Self.callback(fixture, query), from: fixture)
        #expect(try pageStatus(session) == "failed")
        #expect(try session.text(try session.findElement(css: "h1")) == "The connection was not completed")
        #expect(try session.text(try session.findElement(css: "#message")).hasPrefix("You cancelled the authorization at your bank"))
        #expect(try session.isDisplayed(css: "#detail"))
        #expect(try session.text(try session.findElement(css: "#detail-text")) == "The user cancelled the consent at the bank.")
        #expect(try session.waitUntil(timeout: 1) { try session.isDisplayed(css: "#fallback") })
        #expect(try fixture.readItem(itemId).json["status"] as? String == "failed")
        try BrowserScreenshots.save(session, as: "error")
        try expectCleanLog(session)
    }

    /// Hostile error descriptions and parameters render as text: no element is created, no script runs, the CSP reports nothing.
    @Test func browser_HostileInputs_RenderAsText_AndNothingExecutes() throws {
        let (fixture, session) = try start()
        defer { session.quit() }
        let hostile = QAScenarios.hostileDescription
        let sessionId = try fixture.createSession()
        let query = "/\(sessionId)?itemId=\(BrowserFixture.itemId("hostile"))&error=access_denied&error_description=" + Self.encode(hostile)
            + "&note=" + Self.encode("<script>window.__pwned=3</script>") + "&" + Self.encode("<svg onload=window.__pwned=4>") + "=1"
        try arrive(session, at: Self.callback(fixture, query), from: fixture)
        #expect(try pageStatus(session) == "failed")
        #expect(try session.text(try session.findElement(css: "#detail-text")) == hostile)
        #expect(try session.isDisplayed(css: "#detail"))
        _ = try session.waitUntil(timeout: 1) { try session.isDisplayed(css: "#fallback") }
        #expect(try session.execute("return typeof window.__pwned") as? String == "undefined")
        #expect(try session.execute("return document.querySelectorAll('img, svg, iframe, object, embed').length") as? Int == 0)
        #expect(try session.execute("return document.scripts.length") as? Int == 2)
        try expectCleanLog(session)
    }

    /// The log check is not vacuous: a script without the nonce is refused by the CSP and a 404 shows as a failed request.
    @Test func browser_LogCheck_CatchesCSPViolationAndFailedRequest() throws {
        let (fixture, session) = try start()
        defer { session.quit() }
        try arrive(session, at: Self.callback(fixture, "?itemId=" + BrowserFixture.itemId("control")), from: fixture)
        _ = try BrowserLogReport.collect(session)
        let status = try session.execute(
            """
            var s = document.createElement("script");
            s.textContent = "window.__injected = 1";
            document.body.appendChild(s);
            return fetch("/no-such-page", { cache: "no-store" }).then(function (r) { return r.status; });
            """)
        #expect(status as? Int == 404)
        #expect(try session.execute("return typeof window.__injected") as? String == "undefined")
        var report = BrowserLogReport()
        let caught = try session.waitUntil(timeout: 5, interval: 0.1) {
            let more = try BrowserLogReport.collect(session)
            report.cspViolations += more.cspViolations
            report.failedRequests += more.failedRequests
            report.consoleErrors += more.consoleErrors
            return !report.cspViolations.isEmpty && !report.failedRequests.isEmpty
        }
        #expect(caught, "\(report)")
        #expect(report.failedRequests.contains { $0.contains("404") && $0.contains("/no-such-page") }, "\(report)")
    }

    /// Each outcome shows its own icon (✓ success, ✕ failed, ? expired/unidentified/invalid); a red circle never carries ✓.
    @Test func browser_IconMatchesOutcome_NeverCheckOnError() throws {
        let (fixture, session) = try start()
        defer { session.quit() }
        let cases: [(query: String, status: String, icon: String)] = [
            ("?itemId=" + BrowserFixture.itemId("icon-ok"), "completed", "\u{2713}"),
            ("?itemId=" + BrowserFixture.itemId("icon-bad") + "&error=access_denied", "failed", "\u{2715}"),
            ("?error=access_denied", "unidentified", "?"),
            ("?foo=bar", "unidentified", "?"),
            ("?itemId=bad%20id", "invalid", "?"),
        ]
        for item in cases {
            try session.navigate(Self.callback(fixture, item.query))
            #expect(try pageStatus(session) == item.status, "\(item.query)")
            let icon = try session.execute("return getComputedStyle(document.getElementById('icon'), '::before').content") as? String
            #expect(icon == "\"\(item.icon)\"", "\(item.query): \(icon ?? "nil")")
        }
    }

    /// A fragment relay that fails (network down) puts the parameters back in the address, so the reload the page asks for submits them again.
    @Test func browser_RelayFailure_KeepsParametersForReload() throws {
        let (fixture, session) = try start()
        defer { session.quit() }
        try session.cdp("Page.addScriptToEvaluateOnNewDocument", ["source": "window.fetch = function () { return Promise.reject(new TypeError('offline')); };"])
        let itemId = BrowserFixture.itemId("relay-fail")
        try session.navigate(Self.callback(fixture, "#itemId=\(itemId)&code=abc"))
        let restored = try session.waitUntil(timeout: 5) { try session.execute("return location.hash") as? String == "#itemId=\(itemId)&code=abc" }
        #expect(restored, "hash: \(String(describing: try? session.execute("return location.hash")))")
        #expect(try session.isDisplayed(css: "#fallback"))
        #expect(try fixture.readItem(itemId).status == 404)
    }
}
