import Foundation
import Testing

/// The landing page for each language (Accept-Language with q-values) and device class (desktop,
/// iPhone, iPad, Android with `--android-package`, `Sec-CH-UA-Mobile`, in-app browsers), and the
/// absence of any open redirect, over real TLS with curl against the shared server.
@Suite struct EndToEndLandingAudienceTests {
    // MARK: - Language

    /// Accept-Language (q-values, primary-tag match, en default) sets `lang`, title, message and button.
    @Test(arguments: [
        ("pt-BR", "pt-BR"),
        ("pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7", "pt-BR"),
        ("en;q=0.5, pt-BR;q=0.9", "pt-BR"),
        ("pt;q=0.3, en-US;q=0.8", "en"),
        ("pt-PT", "pt-BR"),
        ("PT-br", "pt-BR"),
        ("fr-FR, de;q=0.9", "en"),
        ("pt-BR;q=0, en;q=0.1", "en"),
        ("fr, *;q=0.5", "en"),
        ("en-GB", "en"),
        ("", "en"),
    ])
    func endToEndLanding_RendersLanguage_FromAcceptLanguage(_ acceptLanguage: String, _ expected: String) throws {
        let server = try LandingE2E.shared()
        var arguments = ["-A", LandingE2E.UA.iPhone]
        if !acceptLanguage.isEmpty { arguments += ["-H", "Accept-Language: \(acceptLanguage)"] }
        let response = try LandingE2E.get(server, "/oauth/callback?itemId=\(LandingE2E.uniqueItemId("lang"))", arguments)
        #expect(response.status == 200, "\(response)")
        #expect(LandingE2E.pageLanguage(response) == expected, "Accept-Language: \(acceptLanguage)")
        #expect(LandingE2E.pageTitle(response) == LandingE2E.text("title_completed", expected))
        #expect(LandingE2E.elementText("message", in: response) == LandingE2E.text("message_completed", expected))
        #expect(LandingE2E.elementText("return", in: response) == LandingE2E.text("button_return", expected))
        #expect(response.header("Vary")?.contains("Accept-Language") == true)
    }

    /// Error and error-status pages are localized too (failed, expired, invalid in pt-BR).
    @Test func endToEndLanding_LocalizesErrorPages_InPortuguese() throws {
        let server = try LandingE2E.shared()
        let header = ["-H", "Accept-Language: pt-BR,pt;q=0.9"]
        let failed = try LandingE2E.get(server, "/oauth/callback?itemId=\(LandingE2E.uniqueItemId("ptf"))&error=access_denied", header)
        #expect(LandingE2E.pageLanguage(failed) == "pt-BR")
        #expect(LandingE2E.pageTitle(failed) == LandingE2E.text("title_failed", "pt-BR"))
        #expect(LandingE2E.elementText("message", in: failed) == LandingE2E.text("error_access_denied", "pt-BR"))
        let expired = try LandingE2E.get(server, "/oauth/callback/AAAAAAAAAAAAAAAAAAAAAA?itemId=x", header)
        #expect(expired.status == 404)
        #expect(LandingE2E.pageTitle(expired) == LandingE2E.text("title_expired", "pt-BR"))
        let invalid = try LandingE2E.get(server, "/oauth/callback?itemId=a&itemId=b", header)
        #expect(invalid.status == 400)
        #expect(LandingE2E.pageTitle(invalid) == LandingE2E.text("title_invalid", "pt-BR"))
        let relay = try LandingE2E.get(server, "/oauth/callback", header)
        #expect(LandingE2E.pageTitle(relay) == LandingE2E.text("title_relay", "pt-BR"))
    }

    // MARK: - Device class

    /// Desktop: the self-closing page, return button rendered hidden, close-window fallback text, no postMessage to `*`.
    @Test func endToEndLanding_RendersDesktopPage_ForDesktopUserAgent() throws {
        let server = try LandingE2E.shared()
        let response = try LandingE2E.get(server, "/oauth/callback?itemId=\(LandingE2E.uniqueItemId("desk"))", ["-A", LandingE2E.UA.desktop])
        #expect(response.status == 200)
        #expect(response.bodyText.contains("data-device=\"desktop\""))
        #expect(try LandingE2E.pageData(response)["device"] as? String == "desktop")
        #expect(!LandingE2E.returnButtonVisible(response))
        #expect(LandingE2E.returnHref(response) == LandingE2E.defaultReturnURL)
        #expect(response.bodyText.contains(LandingE2E.text("desktop_fallback")))
        #expect(response.bodyText.contains("window.close()"))
        #expect(!response.bodyText.contains("id=\"inapp\""))
        // No `--opener-origin` configured: no origin to post to, and never "*".
        #expect((try LandingE2E.pageData(response)["openerOrigins"] as? [Any])?.isEmpty == true)
        #expect(!response.bodyText.contains("postMessage(message, \"*\")"))
    }

    /// iPhone and iPad: a visible return button to `--return-url`, and no automatic navigation.
    @Test(arguments: [(LandingE2E.UA.iPhone, "iphone"), (LandingE2E.UA.iPad, "ipad")])
    func endToEndLanding_RendersReturnButton_ForAppleMobile(_ userAgent: String, _ device: String) throws {
        let server = try LandingE2E.shared()
        let response = try LandingE2E.get(server, "/oauth/callback?itemId=\(LandingE2E.uniqueItemId(device))", ["-A", userAgent])
        #expect(response.status == 200)
        #expect(response.bodyText.contains("data-device=\"\(device)\""))
        #expect(try LandingE2E.pageData(response)["device"] as? String == device)
        #expect(LandingE2E.returnButtonVisible(response))
        #expect(LandingE2E.returnHref(response) == LandingE2E.defaultReturnURL)
        #expect(!response.bodyText.contains("http-equiv=\"refresh\""))
        #expect(!response.bodyText.contains("location.href ="))
        #expect(!response.bodyText.contains("location.assign"))
        #expect(!response.bodyText.contains("location.replace"))
    }

    /// Android with `--android-package`: the button is the `intent://` link with the return URL as browser fallback.
    @Test func endToEndLanding_RendersIntentLink_ForAndroid() throws {
        let server = try LandingE2E.shared()
        let response = try LandingE2E.get(server, "/oauth/callback?itemId=\(LandingE2E.uniqueItemId("android"))", ["-A", LandingE2E.UA.android])
        #expect(response.status == 200)
        #expect(response.bodyText.contains("data-device=\"android\""))
        #expect(LandingE2E.returnButtonVisible(response))
        #expect(
            LandingE2E.returnHref(response)
                == "intent://app.example.com/home#Intent;scheme=https;package=com.example.app;S.browser_fallback_url=https%3A%2F%2Fapp.example.com%2Fhome;end",
            "\(String(describing: LandingE2E.returnButton(response)))")
    }

    /// `Sec-CH-UA-Mobile: ?1` makes a desktop-looking UA mobile; `?0` keeps it desktop.
    @Test func endToEndLanding_RendersMobilePage_WhenClientHintSaysMobile() throws {
        let server = try LandingE2E.shared()
        let path = "/oauth/callback?itemId=\(LandingE2E.uniqueItemId("ch"))"
        let mobile = try LandingE2E.get(server, path, ["-A", LandingE2E.UA.desktop, "-H", "Sec-CH-UA-Mobile: ?1"])
        #expect(mobile.bodyText.contains("data-device=\"mobile\""))
        #expect(LandingE2E.returnButtonVisible(mobile))
        #expect(LandingE2E.returnHref(mobile) == LandingE2E.defaultReturnURL)
        let desktop = try LandingE2E.get(server, path, ["-A", LandingE2E.UA.desktop, "-H", "Sec-CH-UA-Mobile: ?0"])
        #expect(desktop.bodyText.contains("data-device=\"desktop\""))
        #expect(!LandingE2E.returnButtonVisible(desktop))
        #expect(mobile.header("Vary")?.contains("Sec-CH-UA-Mobile") == true)
    }

    /// Instagram's and Facebook's in-app browsers get the "open in your browser" hint, in the page language.
    @Test(arguments: [(LandingE2E.UA.instagram, "en"), (LandingE2E.UA.facebookAndroid, "pt-BR")])
    func endToEndLanding_ShowsInAppHint_ForInAppBrowsers(_ userAgent: String, _ language: String) throws {
        let server = try LandingE2E.shared()
        let response = try LandingE2E.get(
            server, "/oauth/callback?itemId=\(LandingE2E.uniqueItemId("inapp"))", ["-A", userAgent, "-H", "Accept-Language: \(language)"])
        #expect(response.status == 200)
        #expect(LandingE2E.elementText("inapp", in: response) == LandingE2E.text("inapp_hint", language), "\(response)")
        #expect(LandingE2E.returnButtonVisible(response))
        // A plain mobile Safari gets no hint.
        let plain = try LandingE2E.get(server, "/oauth/callback?itemId=\(LandingE2E.uniqueItemId("inapp"))", ["-A", LandingE2E.UA.iPhone])
        #expect(!plain.bodyText.contains("id=\"inapp\""))
    }

    // MARK: - Open redirect

    /// `return_to`/`redirect`/`next` and hostile Host/X-Forwarded-Host never reach a link, a header or the page.
    @Test(arguments: [LandingE2E.UA.desktop, LandingE2E.UA.iPhone, LandingE2E.UA.android])
    func endToEndLanding_NeverLinksToRequestedURL_WhenRedirectParametersGiven(_ userAgent: String) throws {
        let server = try LandingE2E.shared()
        let id = LandingE2E.uniqueItemId("redir")
        let hostile = [
            "return_to=https%3A%2F%2Fevil-return.example%2F", "redirect=https%3A%2F%2Fevil-redirect.example", "next=%2F%2Fevil-next.example",
            "redirect_uri=https%3A%2F%2Fevil-uri.example", "url=javascript%3Aalert(1)", "returnUrl=https%3A%2F%2Fevil-returnurl.example",
        ].joined(separator: "&")
        let headers = ["-A", userAgent, "-H", "Host: evil-host.example", "-H", "X-Forwarded-Host: evil-forwarded.example", "-H", "Forwarded: host=evil-fwd.example"]
        let paths = [
            "/oauth/callback?itemId=\(id)&\(hostile)",
            "/oauth/callback?itemId=\(id)-f&error=access_denied&\(hostile)",
            "/oauth/callback?\(hostile)",
            "/oauth/callback?itemId=\(id)&itemId=x&\(hostile)",
            "/oauth/callback/AAAAAAAAAAAAAAAAAAAAAA?\(hostile)",
        ]
        for path in paths {
            let response = try LandingE2E.get(server, path, headers)
            let body = response.bodyText
            for href in LandingE2E.attributeValues("href", in: body) + LandingE2E.attributeValues("action", in: body) {
                #expect(href.isEmpty || href.hasPrefix("data:") || href == LandingE2E.defaultReturnURL || href.hasPrefix("intent://app.example.com/home#"), "\(path): link \(href)")
            }
            #expect(!body.contains("evil"), "\(path): hostile text reflected in the page")
            #expect(!body.contains("javascript:"), "\(path)")
            #expect(response.header("Location") == nil)
            #expect(!response.headers.contains { $0.value.contains("evil") }, "\(path): hostile text in a header")
        }
    }
}
