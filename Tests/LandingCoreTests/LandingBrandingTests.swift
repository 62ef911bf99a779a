import Foundation
import Testing

@testable import LandingCore

/// Branding a user recognises: the app's name, a contrast-checked brand colour, a logo served by the server itself, and the bank's name.
@Suite struct LandingBrandingTests {
    static func harness(appName: String? = nil, brand: String? = nil, logo: [UInt8]? = nil, returnURL: String? = "https://app.example.com/done") -> LandingHarness {
        LandingHarness(returnURL: returnURL) { settings in
            settings.appName = appName
            settings.brandColor = try! brand.map { try BrandColor(parsing: $0) }
            settings.logoPNG = logo
        }
    }

    /// The contrast ratios are WCAG's: white on the default accent 5.69:1, black on white 21:1.
    @Test func brandColor_ComputesWCAGContrast() throws {
        #expect(abs(BrandColor.contrast("#0a66c2", "#ffffff") - 5.69) < 0.01)
        #expect(abs(BrandColor.contrast("#000000", "#ffffff") - 21) < 0.001)
        let purple = try BrandColor(parsing: "#6F42C1")
        #expect(purple.hex == "#6f42c1" && purple.textHex == "#ffffff" && purple.contrast >= 4.5)
        #expect(!purple.usableInDarkMode)
        let sky = try BrandColor(parsing: "#4493f8")
        #expect(sky.textHex == "#0d1117" && sky.usableInDarkMode)
    }

    /// A colour whose button text cannot reach 4.5:1, one that vanishes on the white card, and bad syntax are refused with a reason.
    @Test func brandColor_RefusesUnreadableOrInvisibleColours() {
        #expect(throws: BrandColorError.self) { try BrandColor(parsing: "#777777") }
        #expect((try? BrandColor(parsing: "#ffff00")) == nil)
        for bad in ["0a66c2", "#0a66c", "#0a66c2ff", "#gg0000", "red", ""] {
            #expect((try? BrandColor(parsing: bad)) == nil, "\(bad)")
        }
        do {
            _ = try BrandColor(parsing: "#777777")
        } catch {
            #expect(error.message.contains("4.5:1"))
        }
    }

    /// The app's name is in the title, the header and the return button; a mobile page without a return link names the app to switch back to.
    @Test func page_ShowsAppName() {
        let h = Self.harness(appName: "Acme Finanças")
        let phone = [("User-Agent", UA.iPhone)]
        let page = h.send(.get, "/oauth/callback?itemId=b-1", headers: phone).text
        #expect(page.contains("<title>You&#39;re connected · Acme Finanças</title>"))
        #expect(page.contains("<p id=\"brand\" class=\"brand\">Acme Finanças</p>"))
        #expect(page.contains(">Return to Acme Finanças</a>"))
        let bare = Self.harness(appName: "Acme", returnURL: nil).send(.get, "/oauth/callback?itemId=b-2", headers: phone).text
        #expect(bare.contains("Switch back to Acme to continue."))
        let plain = LandingHarness().send(.get, "/oauth/callback?itemId=b-3").text
        #expect(!plain.contains("id=\"brand\"") && plain.contains("<title>You&#39;re connected</title>"))
    }

    /// A brand colour becomes the accent (and, when it stands out there, the dark mode's too); without one the CSS has no override.
    @Test func page_UsesBrandColour() {
        let purple = Self.harness(brand: "#6f42c1").send(.get, "/oauth/callback?itemId=c-1").text
        #expect(purple.contains(":root { --accent: #6f42c1; --on-accent: #ffffff; --focus: #6f42c1; }"))
        #expect(!purple.contains("@media (prefers-color-scheme: dark) { :root { --accent: #6f42c1"))
        let sky = Self.harness(brand: "#4493f8").send(.get, "/oauth/callback?itemId=c-2").text
        #expect(sky.contains("@media (prefers-color-scheme: dark) { :root { --accent: #4493f8; --on-accent: #0d1117; } }"))
        #expect(!LandingHarness().send(.get, "/oauth/callback?itemId=c-3").text.contains("--accent: #6f42c1"))
    }

    /// A logo is shown from the server's own origin and served as a cacheable PNG with nosniff; without one there is no route.
    @Test func page_ServesLogoFromOwnOrigin() {
        let png: [UInt8] = LandingLogo.signature + [0, 0, 0, 13] + Array("IHDR".utf8)
        let h = Self.harness(appName: "Acme", logo: png)
        let page = h.send(.get, "/oauth/callback?itemId=l-1").text
        #expect(page.contains("<img id=\"logo\" class=\"logo\" src=\"/assets/logo.png\" alt=\"Acme\">"))
        #expect(!page.contains("id=\"brand\""))
        let logo = h.send(.get, "/assets/logo.png")
        #expect(logo.status.code == 200)
        #expect(logo.body == png)
        #expect(logo.headers["Content-Type"] == "image/png")
        #expect(logo.headers["X-Content-Type-Options"] == "nosniff")
        #expect(logo.headers["Cache-Control"] == "public, max-age=86400")
        #expect(LandingHarness().send(.get, "/assets/logo.png").status.code == 404)
    }

    /// Only a PNG of at most 256 KiB can be the logo (no SVG: it could carry script on this origin).
    @Test func logo_AcceptsOnlySmallPNG() {
        #expect(LandingLogo.problem(with: LandingLogo.signature + [1, 2, 3]) == nil)
        #expect(LandingLogo.problem(with: Array("<svg onload=alert(1)>".utf8))?.contains("not a PNG") == true)
        #expect(LandingLogo.problem(with: LandingLogo.signature + [UInt8](repeating: 0, count: LandingLogo.maxBytes))?.contains("256 KiB") == true)
    }

    /// When Pluggy named the institution, the page names the bank (escaped, isolated for bidi).
    @Test func page_NamesTheBank_WhenConnectorKnown() throws {
        let h = LandingHarness()
        let sessionId = try #require(h.createSession().id)
        _ = h.send(.get, "/oauth/callback/\(sessionId)?itemId=bank-1")
        _ = try h.store.commit([
            .confirmation(PluggyConfirmation(itemId: "bank-1", state: .completed, connectorName: "Banco <Teste>", executionStatus: "SUCCESS", receivedAt: 1_800_000_000_500))
        ])
        let page = h.send(.get, "/oauth/callback/\(sessionId)?itemId=bank-1").text
        #expect(page.contains("<p id=\"bank\" class=\"bank\">Bank: <bdi>Banco &lt;Teste&gt;</bdi></p>"))
        #expect(!LandingHarness().send(.get, "/oauth/callback?itemId=bank-2").text.contains("id=\"bank\""))
    }
}

/// `--app-name` and `--brand-color` as configuration.
@Suite struct ConfigLoaderBrandingTests {
    /// Both parse, the colour normalised to lower case; an unreadable colour is refused with its contrast.
    @Test func configLoader_ParsesAppNameAndBrandColour() throws {
        let config = try serveConfig(["--app-name", "Acme Finanças", "--brand-color", "#6F42C1"])
        #expect(config.appName == "Acme Finanças")
        #expect(config.brandColor == "#6f42c1")
        #expect(parseErrorMessage(["--brand-color", "#777777"]).contains("WCAG 2.2 AA needs 4.5:1"))
        #expect(parseErrorMessage(["--brand-color", "blue"]).contains("expected a colour as #RRGGBB"))
        #expect(parseErrorMessage(["--app-name", ""]).contains("1 to 60 printable characters"))
        #expect(parseErrorMessage(["--app-name", String(repeating: "x", count: 61)]).contains("1 to 60"))
        #expect(parseErrorMessage(["--app-name", "a\u{85}b"]).contains("printable"))
    }
}
