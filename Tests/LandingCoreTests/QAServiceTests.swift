import Foundation
import Testing
@testable import LandingCore

@Suite struct QAServiceTests {
    /// Without --qa every QA endpoint is a 404.
    @Test(arguments: [
        (HTTPMethod.get, "/qa"), (.get, "/qa/status?itemId=qa-1"), (.post, "/qa/sessions"), (.get, "/qa/form-post?itemId=x"),
        (.get, "/qa/session?itemId=x"), (.get, "/qa/opener"),
    ])
    func endpoints_Are404_WithoutQA(method: HTTPMethod, target: String) {
        let r = QAHarness(qa: false).send(method, target, headers: [("Content-Type", "application/json")], body: method == .post ? "{}" : "")
        #expect(r.status == .notFound)
    }

    /// The QA page lists every scenario with its link, under the landing pages' security headers plus form-action 'self'.
    @Test func page_ListsEveryScenario_WithSecurityHeaders() throws {
        let r = QAHarness().send(.get, "/qa")
        #expect(r.status == .ok)
        #expect(r.headers["Content-Type"] == "text/html; charset=utf-8")
        #expect(r.headers["Cache-Control"] == "no-store")
        #expect(r.headers["Referrer-Policy"] == "no-referrer")
        #expect(r.headers["X-Frame-Options"] == "DENY")
        #expect(r.headers["X-Content-Type-Options"] == "nosniff")
        #expect(r.headers["Cross-Origin-Opener-Policy"] == nil)
        let csp = try #require(r.headers["Content-Security-Policy"])
        for directive in ["default-src 'none'", "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"] {
            #expect(csp.contains(directive))
        }
        let nonce = try #require(csp.split(separator: "'").first { $0.hasPrefix("nonce-") }).dropFirst(6)
        for tag in ["<script", "<style"] {
            for rest in r.text.components(separatedBy: tag).dropFirst() {
                #expect(rest.prefix { $0 != ">" }.contains("nonce=\"\(nonce)\""), "\(tag) without the nonce")
            }
        }
        #expect(!r.text.contains(" style=\""))
        #expect(!r.text.contains(" onclick="))
        for scenario in QAScenarios.all(newItemId: { "qa-x" }) {
            #expect(r.text.contains("id=\"scenario-\(scenario.id)\""), "row \(scenario.id)")
        }
        #expect(r.text.contains("href=\"/oauth/callback#itemId=qa-"))
        #expect(r.text.contains("href=\"/qa/form-post?itemId=qa-"))
        #expect(r.text.contains("<form id=\"builder-form\" class=\"builder\" method=\"get\" action=\"/oauth/callback\">"))
        #expect(!r.text.contains("{{") && !r.text.contains("qa_s_"))
    }

    /// Two renders of the QA page never share an item id.
    @Test func page_UsesFreshItemIds_PerRender() {
        func ids(_ text: String) -> Set<String> {
            Set(text.components(separatedBy: "data-item-id=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }.filter { !$0.isEmpty })
        }
        let h = QAHarness()
        let a = ids(h.send(.get, "/qa").text)
        let b = ids(h.send(.get, "/qa").text)
        #expect(a.count >= 20)
        #expect(a.isDisjoint(with: b))
    }

    /// The QA page speaks the catalog's languages: from Accept-Language, or `?qa_lang=`.
    @Test func page_RendersInPortuguese_WhenAsked() {
        let h = QAHarness()
        #expect(h.send(.get, "/qa", headers: [("Accept-Language", "pt-BR")]).text.contains("<title>QA: callbacks de teste</title>"))
        #expect(h.send(.get, "/qa?qa_lang=pt-BR").text.contains("<html lang=\"pt-BR\">"))
        #expect(h.send(.get, "/qa").text.contains("<title>QA: test callbacks</title>"))
    }

    /// Every `qa_*` key the page, its groups and its scenarios use exists in every catalog.
    @Test func catalogs_HaveEveryQAKey() throws {
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("templates/qa.html"), encoding: .utf8)
        var keys = Set(source.components(separatedBy: "{{t.").dropFirst().map { String($0.prefix { $0 != "}" }) })
        keys.formUnion(QAScenarios.all(newItemId: { "qa-x" }).map(\.labelKey))
        keys.formUnion(QAScenario.Group.allCases.map { "qa_group_" + $0.rawValue })
        keys.formUnion(["qa_status_idle", "qa_status_waiting", "qa_status_none", "qa_status_request_failed", "qa_status_test", "qa_status_callbacks"])
        for language in LandingHarness.templates.languages {
            let catalog = try #require(LandingHarness.templates.catalog(for: language))
            for key in keys { #expect(catalog[key] != nil, "\(language) lacks \(key)") }
        }
    }

    /// The status endpoint shows test records without an API key, and never a real record (both absent: found false).
    @Test func status_ShowsOnlyTestRecords() {
        let h = QAHarness()
        _ = h.send(.get, "/oauth/callback?itemId=qa-s1&qa=1")
        _ = h.send(.get, "/oauth/callback?itemId=real-s1")
        let test = h.send(.get, "/qa/status?itemId=qa-s1")
        #expect(test.status == .ok)
        #expect(test.json["status"] as? String == "completed")
        #expect(test.json["test"] as? Bool == true)
        #expect(test.headers["Cache-Control"] == "no-store")
        #expect(test.json["found"] as? Bool == true)
        for target in ["/qa/status?itemId=real-s1", "/qa/status?itemId=qa-never"] {
            let absent = h.send(.get, target)
            #expect(absent.status == .ok)
            #expect(absent.json.count == 1 && absent.json["found"] as? Bool == false)
        }
    }

    /// The status endpoint needs exactly a valid item or session id.
    @Test(arguments: ["/qa/status", "/qa/status?itemId=a%20b", "/qa/status?sessionId=short", "/qa/status?other=1"])
    func status_RejectsMissingOrInvalidIds(target: String) {
        #expect(QAHarness().send(.get, target).status == .badRequest)
    }

    /// POST /qa/sessions creates a pending test session without an API key; its status is followed by session id.
    @Test func sessions_CreateTestSession_WithoutAPIKey() throws {
        let h = QAHarness()
        let r = h.send(.post, "/qa/sessions", headers: [("Content-Type", "application/json")], body: "{}")
        #expect(r.status == .created)
        let id = try #require(r.json["id"] as? String)
        #expect(r.json["redirectUri"] as? String == "https://landing.example.com/oauth/callback/" + id)
        #expect(r.json["statusUrl"] as? String == "https://landing.example.com/qa/status?sessionId=" + id)
        let session = try #require(try h.store.session(id: id))
        #expect(session.isTest && session.status == .pending)
        #expect(h.send(.get, "/qa/status?sessionId=" + id).json["status"] as? String == "pending")
        _ = h.send(.get, "/oauth/callback/\(id)?itemId=qa-s2&qa=1")
        #expect(h.send(.get, "/qa/status?sessionId=" + id).json["status"] as? String == "completed")
    }

    /// A session needs a JSON request, so a plain cross-site form cannot create one.
    @Test func sessions_RequireJSONContentType() {
        let r = QAHarness().send(.post, "/qa/sessions", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "a=1")
        #expect(r.status == .unsupportedMediaType)
    }

    /// The form_post helper escapes every field and may submit only to this server.
    @Test func formPost_RendersEscapedFields_AndSelfFormAction() throws {
        let r = QAHarness().send(.get, "/qa/form-post?itemId=qa-fp&x=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        #expect(r.status == .ok)
        #expect(r.text.contains("<form id=\"form\" method=\"post\" action=\"/oauth/callback\">"))
        #expect(r.text.contains("<input type=\"hidden\" name=\"x\" value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">"))
        let csp = try #require(r.headers["Content-Security-Policy"])
        #expect(csp.contains("form-action 'self'") && csp.contains("script-src 'nonce-"))
        #expect(QAHarness().send(.get, "/qa/form-post?a=%ZZ").status == .badRequest)
    }

    /// The session helper carries the parameters as script-safe JSON and posts to the QA sessions endpoint.
    @Test func sessionHelper_CarriesQueryAsScriptSafeJSON() {
        let r = QAHarness().send(.get, "/qa/session?itemId=qa-sh&x=%3C%2Fscript%3E")
        #expect(r.status == .ok)
        #expect(r.text.contains("\"sessionsPath\":\"/qa/sessions\""))
        #expect(r.text.contains("\"query\":\"itemId=qa-sh\\u0026x=%3C%2Fscript%3E\""))
        #expect(r.headers["Content-Security-Policy"]?.contains("form-action 'none'") == true)
    }

    /// The opener page opens only https URLs or paths on this server; anything else falls back to a QA callback path.
    @Test(arguments: [
        ("https://landing.example.com/oauth/callback?itemId=a", true), ("/oauth/callback?itemId=a", true), ("javascript:alert(1)", false),
        ("//evil.example/x", false), ("/\\evil.example", false), ("data:text/html,x", false), ("http://landing.example.com/", false),
    ])
    func opener_OpensOnlyHTTPSOrLocalPaths(url: String, allowed: Bool) {
        #expect(QAService.isOpenableURL(url) == allowed)
        let r = QAHarness().send(.get, "/qa/opener?url=" + LandingPage.percentEncode(url))
        #expect(r.status == .ok)
        let shown = r.text.contains("id=\"url\" value=\"" + url.replacingOccurrences(of: "&", with: "&amp;") + "\"")
        #expect(shown == allowed)
    }

    /// The embedded helper templates parse (a syntax error would only show at the first QA request otherwise).
    @Test func helperPages_Parse() {
        #expect(QAHelperPages.set.templateNames == ["form-post", "head", "opener", "session"])
    }
}
