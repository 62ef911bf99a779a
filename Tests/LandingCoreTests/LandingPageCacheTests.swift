import Testing
@testable import LandingCore

/// `LandingPageCache`: a landing page served from the cache is byte for byte the page rendered in
/// full, whatever the outcome, audience and per-request strings; values it cannot hold are rendered
/// in full; it stays bounded and never serves a page of another template set.
@Suite struct LandingPageCacheTests {
    static let settings: LandingSettings = {
        var settings = LandingSettings(
            publicURL: "https://landing.example.com", returnURL: "https://app.example.com/done",
            openerOrigins: ["https://app.example.com"], androidPackage: "com.example.app")
        settings.appName = "Acme"
        return settings
    }()

    static let outcomes: [LandingOutcome] = [
        .completed(itemId: "item-1", sessionId: nil), .completed(itemId: nil, sessionId: "c2Vzc2lvbi1hYmNkZWZnaGlq"),
        .completed(itemId: "item-1", sessionId: "c2Vzc2lvbi1hYmNkZWZnaGlq"),
        .failed(itemId: "item-2", sessionId: nil, error: LandingError(code: "access_denied", description: "Negado <b>")),
        .unidentified(error: LandingError(code: "server_error", description: nil)), .invalid(explanation: "bad"),
        .relay(sessionId: nil), .relay(sessionId: "c2Vzc2lvbi1hYmNkZWZnaGlq"), .expired, .unavailable,
    ]

    /// Renders `outcome` with both pages and expects the same body.
    static func expectSameBody(
        _ cached: LandingPage, _ full: LandingPage, _ outcome: LandingOutcome, audience: LandingPage.Audience, nonce: String,
        postPath: String = "/oauth/callback", returnURL: String? = nil, bankName: String? = nil,
        templates: TemplateSet = LandingHarness.templates
    ) {
        let a = cached.html(
            outcome: outcome, audience: audience, sessionReturnURL: returnURL, postPath: postPath, nonce: nonce, templates: templates,
            bankName: bankName)
        let b = full.html(
            outcome: outcome, audience: audience, sessionReturnURL: returnURL, postPath: postPath, nonce: nonce, templates: templates,
            bankName: bankName)
        #expect(a.body == b.body, "\(outcome) \(audience) \(nonce) \(postPath)")
        #expect(a.status == b.status)
    }

    /// Every outcome, device and language: the second and third requests (served from the cache, with other ids and nonces) get the full render's bytes.
    @Test func cachedPage_EqualsFullRender() {
        let cached = LandingPage(settings: Self.settings)
        let full = LandingPage(settings: Self.settings, cachingPages: false)
        for outcome in Self.outcomes {
            for device in [DeviceClass.desktop, .android, .iPhone] {
                for language in ["en", "pt-BR"] {
                    let audience = LandingPage.Audience(device: device, inAppBrowser: device == .iPhone, language: language)
                    for round in 0..<3 {
                        let renamed = Self.renamed(outcome, round: round)
                        Self.expectSameBody(
                            cached, full, renamed, audience: audience, nonce: "bm9uY2Ut\(round)abc_-",
                            postPath: renamed.sessionId.map { "/oauth/callback/" + $0 } ?? "/oauth/callback",
                            returnURL: round == 2 ? "https://app.example.com/r?x=1&y=<2>" : nil, bankName: round == 1 ? "Itaú" : nil)
                    }
                }
            }
        }
        #expect(cached.cache?.count == LandingPageCache.capacity, "the pages above were cached (and the cache stayed bounded)")
    }

    /// `outcome` with its ids changed (other requests for the same page).
    static func renamed(_ outcome: LandingOutcome, round: Int) -> LandingOutcome {
        switch outcome {
        case .completed(let item, let session):
            return .completed(itemId: item.map { "\($0)-\(round)" }, sessionId: session.map { "\($0)\(round)" })
        case .failed(let item, let session, let error):
            return .failed(itemId: item.map { "\($0)-\(round)" }, sessionId: session.map { "\($0)\(round)" }, error: error)
        case .relay(let session):
            return .relay(sessionId: session.map { "\($0)\(round)" })
        default:
            return outcome
        }
    }

    /// A request's second page comes from the cache: one page held for one outcome and audience, however many ids and nonces.
    @Test func samePage_IsCachedOnce() {
        let page = LandingPage(settings: Self.settings)
        let full = LandingPage(settings: Self.settings, cachingPages: false)
        let audience = LandingPage.Audience(device: .desktop, inAppBrowser: false, language: "en")
        for index in 0..<20 {
            Self.expectSameBody(page, full, .completed(itemId: "it-\(index)", sessionId: nil), audience: audience, nonce: "n\(index)")
        }
        #expect(page.cache?.count == 1)
    }

    /// A client that varies the error text makes a new page each time: the cache keeps 16 at most,
    /// the oldest pushed out, and every page is still the full render's.
    @Test func distinctErrors_KeepTheCacheBounded() {
        let page = LandingPage(settings: Self.settings)
        let full = LandingPage(settings: Self.settings, cachingPages: false)
        let audience = LandingPage.Audience(device: .desktop, inAppBrowser: false, language: "en")
        func outcome(_ index: Int) -> LandingOutcome {
            .failed(itemId: "item-\(index)", sessionId: nil, error: LandingError(code: "access_denied", description: "attempt \(index)"))
        }
        for index in 0..<40 {
            Self.expectSameBody(page, full, outcome(index), audience: audience, nonce: "n\(index)")
        }
        #expect(page.cache?.count == LandingPageCache.capacity)
        // The first pages were pushed out: asking again renders (and caches) anew, still the same bytes.
        Self.expectSameBody(page, full, outcome(0), audience: audience, nonce: "again")
        #expect(page.cache?.count == LandingPageCache.capacity)
    }

    /// A nonce, id or path with a byte an escaping changes (or empty) is rendered in full, not cached, and still right.
    @Test func valueWithEscapedByte_IsRenderedInFull() {
        let page = LandingPage(settings: Self.settings)
        let full = LandingPage(settings: Self.settings, cachingPages: false)
        let audience = LandingPage.Audience(device: .desktop, inAppBrowser: false, language: "en")
        for value in ["a<b", "a&b", "a\"b", "a'b", "a>b", "a\\b", "a b", "é", ""] {
            Self.expectSameBody(page, full, .completed(itemId: "item", sessionId: nil), audience: audience, nonce: value)
            Self.expectSameBody(page, full, .completed(itemId: value, sessionId: nil), audience: audience, nonce: "n")
            Self.expectSameBody(page, full, .relay(sessionId: value), audience: audience, nonce: "n")
            if !value.isEmpty {
                Self.expectSameBody(page, full, .expired, audience: audience, nonce: "n", postPath: "/oauth/callback/" + value)
            }
        }
        #expect(page.cache?.count == 0)
        #expect(LandingPageCache.isInert("AZaz09-._~/%?=+!#$()*,;:@[]^`{|}"))
    }

    /// Every byte `isInert` accepts is one both escapings (HTML, JSON in a script) leave as it is; the others are refused.
    @Test func isInert_AcceptsOnlyBytesNoEscapingChanges() {
        for byte in UInt8(0)...UInt8(255) {
            let expected = (0x21...0x7E).contains(byte) && !Array("\"&'<>\\".utf8).contains(byte)
            #expect(LandingPageCache.isInert(byte) == expected, "byte \(byte)")
            guard byte < 0x80, LandingPageCache.isInert(byte) else { continue }
            let text = String(UnicodeScalar(byte))
            var html: [UInt8] = []
            TemplateEscaping.appendHTML(text, to: &html)
            var json: [UInt8] = []
            TemplateEscaping.appendJSONString(text, to: &json)
            #expect(html == [byte] && json == [UInt8(ascii: "\""), byte, UInt8(ascii: "\"")], "byte \(byte)")
        }
    }

    /// A 429 is rendered in full (its Retry-After would only churn the cache).
    @Test func rateLimited_IsNotCached() {
        let page = LandingPage(settings: Self.settings)
        let audience = LandingPage.Audience(device: .desktop, inAppBrowser: false, language: "en")
        for seconds in 1...3 {
            _ = page.html(
                outcome: .rateLimited(retryAfterSeconds: seconds), audience: audience, sessionReturnURL: nil, postPath: "/oauth/callback",
                nonce: "n", templates: LandingHarness.templates)
        }
        #expect(page.cache?.count == 0)
    }

    /// After a reload (another template set), the page comes from the new templates, not from the cache.
    @Test func otherTemplateSet_IsNotServedTheCachedPage() throws {
        let page = LandingPage(settings: Self.settings)
        let audience = LandingPage.Audience(device: .desktop, inAppBrowser: false, language: "en")
        let catalogs = ["en": #"{"title_completed": "Done"}"#]
        let first = try TemplateSet.parse(templates: ["landing": "one {{nonce}} {{title}}"], catalogs: catalogs)
        let second = try TemplateSet.parse(templates: ["landing": "two {{nonce}} {{title}}"], catalogs: catalogs)
        func body(_ set: TemplateSet, _ nonce: String) -> String {
            String(
                decoding: page.html(
                    outcome: .completed(itemId: "i", sessionId: nil), audience: audience, sessionReturnURL: nil, postPath: "/p",
                    nonce: nonce, templates: set
                ).body, as: UTF8.self)
        }
        #expect(body(first, "a") == "one a Done")
        #expect(body(first, "b") == "one b Done")
        #expect(body(second, "c") == "two c Done")
        #expect(body(first, "d") == "one d Done")
    }

    /// `split` cuts every probe out and notes its hole; `filled` puts values back in their places.
    @Test func split_ThenFilled_PutsEachValueWhereItsProbeWas() {
        let cache = LandingPageCache(prefix: Array("PRB".utf8))
        #expect(cache.probes == ["PRB0", "PRB1", "PRB2", "PRB3"])
        let page = cache.split(Array("<p>PRB0|PRB3PRB1 PRB PRB9 PR".utf8))
        #expect(page.text == Array("<p>| PRB PRB9 PR".utf8))
        #expect(page.holes.map(\.hole) == [0, 3, 1])
        #expect(String(decoding: page.filled(["n", "item", "s", "/path"]), as: UTF8.self) == "<p>n|/pathitem PRB PRB9 PR")
    }
}
