/// Renders a landing outcome as the HTML page (or, for the fragment relay's fetch, JSON), with the
/// headers every landing response carries. Pure: the nonce and templates are passed in.
// why: a class, so each callback's closures capture one reference, not copies of the settings'
// strings (three copies cost ~1.1k instructions per callback).
public final class LandingPage: Sendable {
    /// Who the page is for.
    public struct Audience: Sendable, Equatable {
        public var device: DeviceClass
        public var inAppBrowser: Bool
        public var language: String
        public init(device: DeviceClass, inAppBrowser: Bool, language: String) {
            self.device = device
            self.inAppBrowser = inAppBrowser
            self.language = language
        }
    }

    public let settings: LandingSettings
    /// The context values that depend on the settings alone, made once.
    private let brandCSS: TemplateValue
    private let brandDarkCSS: TemplateValue
    private let logo: TemplateValue
    /// The HTML pages rendered so far, with their per-request strings as holes; nil: every page is
    /// rendered in full.
    let cache: LandingPageCache?

    /// `cachingPages: false` renders every page in full (tests compare the two).
    public init(settings: LandingSettings, cachingPages: Bool = true) {
        self.settings = settings
        cache = cachingPages ? LandingPageCache() : nil
        // why: validated #rrggbb values only (BrandColor), so nothing here can leave the CSS declaration.
        brandCSS = settings.brandColor.map { .string("--accent: \($0.hex); --on-accent: \($0.textHex); --focus: \($0.hex);") } ?? .null
        brandDarkCSS = settings.brandColor.flatMap { $0.usableInDarkMode ? .string("--accent: \($0.hex); --on-accent: \($0.textHex);") : nil } ?? .null
        logo = settings.logoPNG == nil ? .null : .string(Self.logoPath)
    }

    /// The root names of the `landing` template's context, in the order `html` gives their values
    /// (a layout rather than a dictionary: no per-request hashing of these names).
    static let contextLayout = TemplateLayout([
        "appName", "returnLabel", "goBack", "brandCSS", "brandDarkCSS", "logo", "bankName", "lang", "nonce", "t",
        "status", "title", "message", "detail", "detailLabel", "device", "isMobile", "isDesktop", "inAppBrowser",
        "returnHref", "isRelay", "attention", "data",
    ])

    /// Chooses the audience from the request headers.
    public static func audience(for headers: HTTPHeaders, languages: [String]) -> Audience {
        Audience(
            device: DeviceClass.detect(headers: headers), inAppBrowser: DeviceClass.isInAppBrowser(headers: headers),
            language: LanguageNegotiation.choose(acceptLanguage: headers["Accept-Language"], supported: languages))
    }

    /// The audience from the headers, then the QA overrides (`QAOverrides.none` changes nothing).
    public static func audience(for headers: HTTPHeaders, languages: [String], qa: QAOverrides) -> Audience {
        qa.apply(to: audience(for: headers, languages: languages))
    }

    /// The headers of every landing response, errors included (RFC 9700 §4.16, §4.2; domain notes).
    /// No `Cross-Origin-Opener-Policy`: it would cut `window.opener`. No HSTS: the connection adds
    /// it to every response over TLS (`Connection.write` in LandingIO).
    public static func securityHeaders(nonce: String, contentType: String) -> HTTPHeaders {
        var headers =
            switch contentType {
            case htmlType: htmlHeaders
            case jsonType: jsonHeaders
            default: constantHeaders(contentType: contentType)
            }
        // why: the nonce is fresh per response; the other fields go out as bytes made once.
        headers.add(name: "Content-Security-Policy", value: contentSecurityPolicy(nonce: nonce))
        return headers
    }

    /// `default-src 'none'; script-src 'nonce-NONCE'; style-src 'nonce-NONCE'; connect-src 'self';
    /// img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`, made in
    /// one allocation (concatenation made one per piece).
    static func contentSecurityPolicy(nonce: String) -> String {
        let start: StaticString = "default-src 'none'; script-src 'nonce-"
        let middle: StaticString = "'; style-src 'nonce-"
        let end: StaticString =
            "'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        var nonce = nonce
        return nonce.withUTF8 { nonceBytes in
            let count = start.utf8CodeUnitCount + middle.utf8CodeUnitCount + end.utf8CodeUnitCount + 2 * nonceBytes.count
            return String(unsafeUninitializedCapacity: count) { buffer in
                var index = 0
                func copy(_ piece: StaticString) {
                    copy(UnsafeBufferPointer(start: piece.utf8Start, count: piece.utf8CodeUnitCount))
                }
                func copy(_ piece: UnsafeBufferPointer<UInt8>) {
                    _ = UnsafeMutableBufferPointer(rebasing: buffer[index..<index + piece.count]).initialize(from: piece)
                    index += piece.count
                }
                copy(start)
                copy(nonceBytes)
                copy(middle)
                copy(nonceBytes)
                copy(end)
                return index
            }
        }
    }

    static let htmlType = "text/html; charset=utf-8"
    static let jsonType = "application/json"
    private static let htmlHeaders = constantHeaders(contentType: htmlType)
    private static let jsonHeaders = constantHeaders(contentType: jsonType)

    /// The fields of `securityHeaders` but the CSP, serialized.
    private static func constantHeaders(contentType: String) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "Referrer-Policy", value: "no-referrer")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        headers.add(name: "X-Frame-Options", value: "DENY")
        headers.add(name: "Vary", value: "User-Agent, Accept-Language, Sec-CH-UA-Mobile")
        return headers.serialized()
    }

    /// The return-to-app link for this audience: the session's `returnUrl`, else `--return-url`;
    /// on Android with `--android-package`, the `intent://` form with the link as browser fallback.
    public func returnHref(sessionReturnURL: String?, device: DeviceClass) -> String? {
        guard let url = sessionReturnURL ?? settings.returnURL else { return nil }
        guard device == .android, let package = settings.androidPackage,
            let schemeEnd = url.range(of: "://")
        else { return url }
        let scheme = url[..<schemeEnd.lowerBound]
        var rest = url[schemeEnd.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        return "intent://\(rest)#Intent;scheme=\(scheme);package=\(package);S.browser_fallback_url=\(Self.percentEncode(url));end"
    }

    /// The label above the detail: the bank's message, or (for a malformed callback) what was wrong.
    static func detailLabel(for outcome: LandingOutcome, catalog: [String: String]) -> String {
        if case .invalid = outcome { return catalog["detail_label_request"] ?? "detail_label_request" }
        return catalog["detail_label"] ?? "detail_label"
    }

    /// Localized title, message and detail for an outcome.
    public static func texts(for outcome: LandingOutcome, catalog: [String: String]) -> (title: String, message: String, detail: String?) {
        func t(_ key: String) -> String { catalog[key] ?? key }
        switch outcome {
        case .completed:
            return (t("title_completed"), t("message_completed"), nil)
        case .failed(_, _, let error):
            let known = CallbackParameters.knownErrorCodes.contains(error.code)
            return (t("title_failed"), t(known ? "error_\(error.code)" : "error_other"), error.description)
        case .unidentified(let error):
            if let error {
                let known = CallbackParameters.knownErrorCodes.contains(error.code)
                return (t("title_unidentified"), t("message_unidentified") + " " + t(known ? "error_\(error.code)" : "error_other"), error.description)
            }
            return (t("title_unidentified"), t("message_unidentified"), nil)
        case .invalid(let explanation):
            return (t("title_invalid"), t("message_invalid"), explanation)
        case .expired:
            return (t("title_expired"), t("message_expired"), nil)
        case .relay:
            return (t("title_relay"), t("message_relay"), nil)
        case .unavailable:
            return (t("title_unavailable"), t("message_unavailable"), nil)
        case .rateLimited:
            return (t("title_rate_limited"), t("message_rate_limited"), nil)
        }
    }

    /// Where the logo is served (same origin: the page's CSP allows `img-src 'self'`).
    public static let logoPath = "/assets/logo.png"

    /// `text` with `{app}` replaced by the app's name.
    static func named(_ text: String, app: String) -> String {
        text.replacingOccurrences(of: "{app}", with: app)
    }

    /// The page as HTML, rendered from the `landing` template. `bankName`: the institution, when
    /// Pluggy named it (the page says which bank the result is from).
    public func html(
        outcome: LandingOutcome, audience: Audience, sessionReturnURL: String?, postPath: String, nonce: String,
        templates: TemplateSet, headOnly: Bool = false, bankName: String? = nil
    ) -> HTTPResponse {
        HTTPResponse(
            status: outcome.httpStatus, headers: Self.securityHeaders(nonce: nonce, contentType: Self.htmlType),
            body: htmlBody(
                outcome: outcome, audience: audience, sessionReturnURL: sessionReturnURL, postPath: postPath, nonce: nonce,
                templates: templates, bankName: bankName))
    }

    /// The body of `html`: from `cache` when its per-request strings can fill the cached page's
    /// holes (rendered with probes on first use), else rendered in full.
    func htmlBody(
        outcome: LandingOutcome, audience: Audience, sessionReturnURL: String?, postPath: String, nonce: String,
        templates: TemplateSet, bankName: String?
    ) -> [UInt8] {
        let itemId = outcome.itemId
        let sessionId = outcome.sessionId
        // why: a 429's page is the same for every Retry-After, but its outcome (the key) is not; a
        // client being refused would only churn the cache.
        guard let cache, !outcome.isRateLimited, LandingPageCache.isInert(nonce), LandingPageCache.isInert(postPath),
            itemId.map(LandingPageCache.isInert) ?? true, sessionId.map(LandingPageCache.isInert) ?? true
        else {
            return renderBody(
                outcome: outcome, audience: audience, sessionReturnURL: sessionReturnURL, postPath: postPath, nonce: nonce,
                templates: templates, bankName: bankName)
        }
        // In `LandingPageCache.Hole` order.
        let values = [nonce, itemId ?? "", sessionId ?? "", postPath]
        let key = LandingPageCache.Key(
            outcome: cache.probed(outcome), audience: audience, sessionReturnURL: sessionReturnURL, bankName: bankName,
            templates: templates.identity)
        if let page = cache.page(for: key) { return page.filled(values) }
        let probes = cache.probes
        let rendered = renderBody(
            outcome: key.outcome, audience: audience, sessionReturnURL: sessionReturnURL,
            postPath: probes[LandingPageCache.Hole.postPath.rawValue], nonce: probes[LandingPageCache.Hole.nonce.rawValue],
            templates: templates, bankName: bankName)
        return cache.store(rendered, for: key).filled(values)
    }

    /// The `landing` template rendered in full (or a fixed page saying it failed).
    func renderBody(
        outcome: LandingOutcome, audience: Audience, sessionReturnURL: String?, postPath: String, nonce: String,
        templates: TemplateSet, bankName: String?
    ) -> [UInt8] {
        let values = contextValues(
            outcome: outcome, audience: audience, sessionReturnURL: sessionReturnURL, postPath: postPath, nonce: nonce,
            templates: templates, bankName: bankName)
        do {
            return try templates.renderBytes("landing", values: values, layout: Self.contextLayout)
        } catch {
            return Array("<!doctype html><meta charset=\"utf-8\"><title>oauth-landing</title><p>The page template failed to render.</p>".utf8)
        }
    }

    /// The `landing` template's context, by slot of `contextLayout`.
    func contextValues(
        outcome: LandingOutcome, audience: Audience, sessionReturnURL: String?, postPath: String, nonce: String,
        templates: TemplateSet, bankName: String?
    ) -> [TemplateValue] {
        let catalog = templates.catalog(for: audience.language) ?? [:]
        let texts = Self.texts(for: outcome, catalog: catalog)
        let href = returnHref(sessionReturnURL: sessionReturnURL, device: audience.device)
        var errorValue: TemplateValue = .null
        if let error = outcome.error {
            errorValue = .object(["code": .string(error.code), "description": error.description.map { .string($0) } ?? .null])
        }
        let data: TemplateValue = .object([
            "type": "oauth-landing",
            "status": .string(outcome.statusName),
            "itemId": outcome.itemId.map { .string($0) } ?? .null,
            "sessionId": outcome.sessionId.map { .string($0) } ?? .null,
            "error": errorValue,
            "openerOrigins": .list(settings.openerOrigins.map { .string($0) }),
            "device": .string(audience.device.rawValue),
            "relay": .bool(outcome.isRelay),
            "postPath": .string(postPath),
        ])
        let app = settings.appName
        let returnLabel = app.map { Self.named(catalog["button_return_named"] ?? "", app: $0) } ?? catalog["button_return"] ?? ""
        let goBack = app.map { Self.named(catalog["mobile_go_back_named"] ?? "", app: $0) } ?? catalog["mobile_go_back"] ?? ""
        // In the order of `contextLayout.names`.
        return [
            app.map { .string($0) } ?? .null,
            .string(returnLabel),
            .string(goBack),
            brandCSS,
            brandDarkCSS,
            logo,
            bankName.map { .string($0) } ?? .null,
            .string(audience.language),
            .string(nonce),
            templates.catalogValue(for: audience.language) ?? .object([:]),
            .string(outcome.statusName),
            .string(texts.title),
            .string(texts.message),
            texts.detail.map { .string($0) } ?? .null,
            .string(Self.detailLabel(for: outcome, catalog: catalog)),
            .string(audience.device.rawValue),
            .bool(audience.device.isMobile),
            .bool(!audience.device.isMobile),
            .bool(audience.inAppBrowser),
            href.map { .string($0) } ?? .null,
            .bool(outcome.isRelay),
            .bool(outcome.isRateLimited),
            data,
        ]
    }

    /// The outcome as JSON, for the fragment relay's `fetch` (`Accept: application/json`).
    public func json(outcome: LandingOutcome, audience: Audience, sessionReturnURL: String?, nonce: String, templates: TemplateSet) -> HTTPResponse {
        let catalog = templates.catalog(for: audience.language) ?? [:]
        let texts = Self.texts(for: outcome, catalog: catalog)
        var errorValue: TemplateValue = .null
        if let error = outcome.error {
            errorValue = .object(["code": .string(error.code), "description": error.description.map { .string($0) } ?? .null])
        }
        let value: TemplateValue = .object([
            "type": "oauth-landing",
            "status": .string(outcome.statusName),
            "itemId": outcome.itemId.map { .string($0) } ?? .null,
            "sessionId": outcome.sessionId.map { .string($0) } ?? .null,
            "error": errorValue,
            "title": .string(texts.title),
            "message": .string(texts.message),
            "detail": texts.detail.map { .string($0) } ?? .null,
            "detailLabel": .string(Self.detailLabel(for: outcome, catalog: catalog)),
            "returnHref": returnHref(sessionReturnURL: sessionReturnURL, device: audience.device).map { .string($0) } ?? .null,
        ])
        return HTTPResponse(
            status: outcome.httpStatus, headers: Self.securityHeaders(nonce: nonce, contentType: Self.jsonType),
            body: Array(value.jsonString.utf8))
    }

    /// Percent-encodes everything but unreserved characters (RFC 3986 §2.3).
    static func percentEncode(_ s: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            default:
                out.append(contentsOf: [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension LandingOutcome {
    var isRelay: Bool {
        if case .relay = self { return true }
        return false
    }

    var isRateLimited: Bool {
        if case .rateLimited = self { return true }
        return false
    }
}
