import Foundation
import Testing
@testable import LandingCore

@Suite struct LandingPageTests {
    /// Every landing response, errors included, carries the security headers and a CSP with its nonce, and never COOP.
    @Test(arguments: ["/oauth/callback?itemId=x1", "/oauth/callback?itemId=a&itemId=b", "/oauth/callback?foo=1", "/oauth/callback/notasession"])
    func page_CarriesSecurityHeaders(target: String) throws {
        let r = LandingHarness().send(.get, target)
        #expect(r.headers["Content-Type"] == "text/html; charset=utf-8")
        #expect(r.headers["Cache-Control"] == "no-store")
        #expect(r.headers["Referrer-Policy"] == "no-referrer")
        #expect(r.headers["X-Content-Type-Options"] == "nosniff")
        #expect(r.headers["X-Frame-Options"] == "DENY")
        #expect(r.headers["Strict-Transport-Security"] == nil, "HSTS is added by the connection, over TLS only")
        #expect(r.headers["Cross-Origin-Opener-Policy"] == nil)
        let csp = try #require(r.headers["Content-Security-Policy"])
        for directive in ["default-src 'none'", "connect-src 'self'", "img-src 'self' data:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"] {
            #expect(csp.contains(directive))
        }
        let nonce = try #require(csp.split(separator: "'").first { $0.hasPrefix("nonce-") }).dropFirst(6)
        #expect(r.text.contains("<script nonce=\"\(nonce)\">"))
        #expect(r.text.contains("<style nonce=\"\(nonce)\">"))
        #expect(!r.text.contains("http://"))
        #expect(!r.text.contains("src=\"https://"))
    }

    /// Each response gets a fresh nonce.
    @Test func page_UsesFreshNoncePerResponse() {
        let h = LandingHarness()
        let a = h.send(.get, "/oauth/callback?itemId=n1").headers["Content-Security-Policy"]
        let b = h.send(.get, "/oauth/callback?itemId=n1").headers["Content-Security-Policy"]
        #expect(a != b)
    }

    /// Hostile descriptions render as inert text: no markup, no script break-out, no raw U+2028, bidi or NUL.
    @Test(arguments: [
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", "%3C%2Fscript%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "a%E2%80%A8b", "a%E2%80%AEb", "a%00b", "a%0D%0ASet-Cookie:%20x", "%5C%22%27",
    ])
    func page_RendersHostileDescriptionAsText(description: String) throws {
        let h = LandingHarness()
        let r = h.send(.get, "/oauth/callback?itemId=hostile&error=access_denied&error_description=" + description)
        let html = r.text
        #expect(!html.contains("<img"))
        #expect(!html.contains("alert(1)</script>"))
        #expect(html.components(separatedBy: "</script>").count == 3)
        #expect(!html.contains("\u{2028}"))
        #expect(!html.contains("\u{202E}"))
        #expect(!html.contains("\u{0}"))
        #expect(!html.contains("Set-Cookie: x\r"))
        let stored = try #require(try h.store.item(id: "hostile")?.error?.description)
        #expect(stored.unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) && !(0x202A...0x202E).contains($0.value) && !(0x2066...0x2069).contains($0.value) && $0.value != 0x2028 })
    }

    /// Desktop: the return button starts hidden and the page data carries the exact opener origins.
    @Test func page_Desktop_PostsToConfiguredOriginsAndHidesButton() {
        let r = LandingHarness().send(.get, "/oauth/callback?itemId=d1", headers: [("User-Agent", UA.desktop)])
        #expect(r.text.contains("\"openerOrigins\":[\"https://app.example.com\"]"))
        #expect(r.text.contains("data-device=\"desktop\""))
        #expect(r.text.contains("<a id=\"return\" class=\"button\" href=\"https://app.example.com/done\" hidden>"))
        #expect(r.text.contains("id=\"fallback\" hidden"))
        #expect(!r.text.contains("postMessage(message, \"*\")"))
    }

    /// iPhone: a visible return button to the configured link, no automatic navigation.
    @Test func page_IPhone_ShowsReturnButton() {
        let r = LandingHarness().send(.get, "/oauth/callback?itemId=m1", headers: [("User-Agent", UA.iPhone)])
        #expect(r.text.contains("data-device=\"iphone\""))
        #expect(r.text.contains("<a id=\"return\" class=\"button\" href=\"https://app.example.com/done\">"))
        #expect(!r.text.contains("location.href ="))
        #expect(!r.text.contains("http-equiv=\"refresh\""))
    }

    /// Android with --android-package: the intent:// link with the https link as browser fallback.
    @Test func page_Android_UsesIntentLink() {
        let r = LandingHarness().send(.get, "/oauth/callback?itemId=a1", headers: [("User-Agent", UA.android)])
        #expect(r.text.contains("href=\"intent://app.example.com/done#Intent;scheme=https;package=com.example.app;S.browser_fallback_url=https%3A%2F%2Fapp.example.com%2Fdone;end\""))
    }

    /// Mobile never dead-ends: without any return URL the page tells the user to switch back to the app; with one it shows the button instead.
    @Test func page_Mobile_TellsUserToGoBack_WhenNoReturnURL() {
        let bare = LandingHarness(returnURL: nil, androidPackage: nil)
        let phone = [("User-Agent", UA.iPhone)]
        let without = bare.send(.get, "/oauth/callback?itemId=m-none", headers: phone).text
        #expect(without.contains("id=\"go-back\""))
        #expect(without.contains("Switch back to the app you came from to continue."))
        let with = LandingHarness().send(.get, "/oauth/callback?itemId=m-some", headers: phone).text
        #expect(!with.contains("id=\"go-back\""))
        #expect(!bare.send(.get, "/oauth/callback?itemId=d-none", headers: [("User-Agent", UA.desktop)]).text.contains("id=\"go-back\""))
    }

    /// Sec-CH-UA-Mobile: ?1 makes the page mobile even with a desktop-looking UA; iPad UA too.
    @Test func page_DetectsMobileFromClientHintAndIPad() {
        let h = LandingHarness()
        #expect(h.send(.get, "/oauth/callback?itemId=c1", headers: [("User-Agent", UA.desktop), ("Sec-CH-UA-Mobile", "?1")]).text.contains("data-device=\"mobile\""))
        #expect(h.send(.get, "/oauth/callback?itemId=c1", headers: [("User-Agent", UA.iPad)]).text.contains("data-device=\"ipad\""))
        #expect(h.send(.get, "/oauth/callback?itemId=c1").text.contains("navigator.maxTouchPoints > 1"))
    }

    /// Facebook/Instagram in-app browsers get a hint to open the real browser.
    @Test func page_InAppBrowser_ShowsHint() {
        let h = LandingHarness()
        #expect(h.send(.get, "/oauth/callback?itemId=i1", headers: [("User-Agent", UA.instagram)]).text.contains("id=\"inapp\""))
        #expect(!h.send(.get, "/oauth/callback?itemId=i1", headers: [("User-Agent", UA.iPhone)]).text.contains("id=\"inapp\""))
    }

    /// Accept-Language with q-values picks pt-BR or en, and sets `lang`.
    @Test func page_ChoosesLanguage_FromAcceptLanguage() {
        let h = LandingHarness()
        let pt = h.send(.get, "/oauth/callback?itemId=l1", headers: [("Accept-Language", "en;q=0.5, pt-BR;q=0.9")])
        #expect(pt.text.contains("<html lang=\"pt-BR\""))
        #expect(pt.text.contains("Conexão concluída"))
        let en = h.send(.get, "/oauth/callback?itemId=l1", headers: [("Accept-Language", "fr, en;q=0.8, pt;q=0.1")])
        #expect(en.text.contains("<html lang=\"en\""))
        #expect(h.send(.get, "/oauth/callback?itemId=l1", headers: [("Accept-Language", "pt")]).text.contains("lang=\"pt-BR\""))
    }

    /// Language negotiation honours q-values, q=0, wildcards and primary-tag matches.
    @Test func languageNegotiation_Rules() {
        let s = ["en", "pt-BR"]
        #expect(LanguageNegotiation.choose(acceptLanguage: "pt-PT", supported: s) == "pt-BR")
        #expect(LanguageNegotiation.choose(acceptLanguage: "pt-BR;q=0, en", supported: s) == "en")
        #expect(LanguageNegotiation.choose(acceptLanguage: "*", supported: s) == "en")
        #expect(LanguageNegotiation.choose(acceptLanguage: "de, PT-br;q=0.3", supported: s) == "pt-BR")
        #expect(LanguageNegotiation.choose(acceptLanguage: "garbage;;;q=x", supported: s) == "en")
        #expect(LanguageNegotiation.choose(acceptLanguage: nil, supported: s) == "en")
    }

    /// Each RFC 6749 error code maps to its own readable message in both languages.
    @Test func page_MapsEveryErrorCode() {
        for code in CallbackParameters.knownErrorCodes {
            for language in ["en", "pt-BR"] {
                let catalog = LandingHarness.templates.catalog(for: language) ?? [:]
                #expect(catalog["error_\(code)"] != nil, "missing error_\(code) in \(language)")
            }
        }
    }
}
