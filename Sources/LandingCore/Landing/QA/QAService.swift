/// QA mode's endpoints (issue 5), installed only with `--qa` (on in `--dev`); without it every
/// one of them is a 404. None needs an API key, so none reveals or changes anything but test
/// records:
///
///     GET  /qa               the QA page: every scenario, a callback builder, live status
///     GET  /qa/status        ?itemId=… or ?sessionId=…: a test record's status JSON, or {"found": false}
///     POST /qa/sessions      creates a test session (application/json; the body is ignored)
///     GET  /qa/form-post     ?params: a page that submits params to the callback as a POST form
///     GET  /qa/session       ?params: a page that creates a test session, then opens its callback URL
///     GET  /qa/opener        ?url=…: a page that opens a landing page with window.open and lists
///                            the postMessages it receives (the app's side of the desktop flow)
///
/// Every page carries the landing pages' security headers with its own nonce; the CSP allows
/// `form-action 'self'` where a page submits a form.
struct QAService: Sendable {
    let service: LandingService

    static let statusPath = "/qa/status"
    static let sessionsPath = "/qa/sessions"
    static let openerPath = "/qa/opener"

    /// Adds the QA routes to `router` (the caller does so only with `--qa`).
    func install(into router: inout Router<RouteHandler>) {
        let qa = self
        router.add(.get, QAScenarios.pagePath) { request, _, _ in qa.page(request) }
        router.add(.get, Self.statusPath) { request, _, _ in qa.status(request) }
        router.add(.post, Self.sessionsPath) { request, _, _ in qa.createSession(request) }
        router.add(.get, QAScenarios.formPostPath) { request, _, _ in qa.formPost(request) }
        router.add(.get, QAScenarios.sessionHelperPath) { request, _, _ in qa.sessionHelper(request) }
        router.add(.get, Self.openerPath) { request, _, _ in qa.opener(request) }
    }

    // MARK: - Pages

    /// `GET /qa`: in the language of `Accept-Language`, or of `?qa_lang=`.
    func page(_ request: HTTPRequest) -> HandlerResult {
        let set = service.templates()
        let languages = set.languages
        let pairs = (try? FormDecoder.decode(Array((request.query ?? "").utf8))) ?? []
        let language = QAOverrides.read(pairs, languages: languages).language
            ?? LanguageNegotiation.choose(acceptLanguage: request.headers["Accept-Language"], supported: languages)
        let random = service.environment.randomBytes
        let scenarios = QAScenarios.all(languages: languages) { QAScenarios.itemId(random: random(9)) }
        let nonce = newNonce()
        let page = QAPage(callbackPath: service.settings.callbackPath, languages: languages)
        guard let body = page.render(templates: set, language: language, nonce: nonce, scenarios: scenarios, builderItemId: QAScenarios.itemId(random: random(9))) else {
            return .response(HTTPResponse.text(.internalServerError, "The QA page needs qa.html in the --templates directory."))
        }
        return .response(HTTPResponse(status: .ok, headers: Self.headers(nonce: nonce, formAction: true), body: body))
    }

    /// `GET /qa/form-post?params`: the params as hidden fields of a form the page submits by POST.
    func formPost(_ request: HTTPRequest) -> HandlerResult {
        guard let pairs = try? FormDecoder.decode(Array((request.query ?? "").utf8)) else {
            return .response(HTTPResponse.text(.badRequest, "The query is not correctly encoded."))
        }
        let nonce = newNonce()
        let fields: [TemplateValue] = pairs.map { .object(["name": .string($0.name), "value": .string($0.value)]) }
        let body = QAHelperPages.render(
            "form-post", ["nonce": .string(nonce), "action": .string(service.settings.callbackPath), "fields": .list(fields)])
        return .response(HTTPResponse(status: .ok, headers: Self.headers(nonce: nonce, formAction: true), body: body))
    }

    /// `GET /qa/session?params`: creates a test session from the page, then opens
    /// `CALLBACK/{id}?params` (relative, so it works whatever `--public-url` says).
    func sessionHelper(_ request: HTTPRequest) -> HandlerResult {
        guard let pairs = try? FormDecoder.decode(Array((request.query ?? "").utf8)) else {
            return .response(HTTPResponse.text(.badRequest, "The query is not correctly encoded."))
        }
        let nonce = newNonce()
        let query = QAScenarios.encode(pairs.map { RawParameter(name: $0.name, value: $0.value) })
        let data: TemplateValue = [
            "sessionsPath": .string(Self.sessionsPath), "callbackPath": .string(service.settings.callbackPath), "query": .string(query),
        ]
        let body = QAHelperPages.render("session", ["nonce": .string(nonce), "data": data])
        return .response(HTTPResponse(status: .ok, headers: Self.headers(nonce: nonce, formAction: false), body: body))
    }

    /// `GET /qa/opener?url=…`: the URL must be https or a path on this server (never `javascript:`).
    func opener(_ request: HTTPRequest) -> HandlerResult {
        let pairs = (try? FormDecoder.decode(Array((request.query ?? "").utf8))) ?? []
        var url = pairs.first { $0.name == "url" }?.value ?? ""
        if !Self.isOpenableURL(url) { url = "" }
        if url.isEmpty {
            url = service.settings.callbackPath + "?itemId=" + QAScenarios.itemId(random: service.environment.randomBytes(9)) + "&qa=1"
        }
        let nonce = newNonce()
        let body = QAHelperPages.render("opener", ["nonce": .string(nonce), "url": .string(url)])
        return .response(HTTPResponse(status: .ok, headers: Self.headers(nonce: nonce, formAction: false), body: body))
    }

    /// An absolute https URL, or a path on this server (`/…`, not `//…`).
    static func isOpenableURL(_ url: String) -> Bool {
        guard url.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return false }
        if url.lowercased().hasPrefix("https://") { return true }
        return url.hasPrefix("/") && !url.hasPrefix("//") && !url.hasPrefix("/\\")
    }

    // MARK: - JSON endpoints

    /// `GET /qa/status?itemId=…|sessionId=…`: the status document of a test record plus
    /// `"found": true`, or `{"found": false}` (200 both: the QA page polls before the record exists,
    /// and a 404 would be a failed request in the browser's console each time).
    func status(_ request: HTTPRequest) -> HandlerResult {
        let pairs = (try? FormDecoder.decode(Array((request.query ?? "").utf8))) ?? []
        let key: LandingRecord.Key
        if let item = pairs.first(where: { $0.name == "itemId" })?.value, CallbackParameters.isValidItemId(item) {
            key = .item(item)
        } else if let session = pairs.first(where: { $0.name == "sessionId" })?.value, Base64URL.isSessionID(session) {
            key = .session(session)
        } else {
            return .response(APIResponse.error(.badRequest, "invalid_request", "Ask for ?itemId=ID or ?sessionId=ID."))
        }
        let now = service.environment.now()
        return .deferred { complete in
            service.store.perform({ store throws(StoreError) in
                switch key {
                case .item(let id): try store.item(id: id)
                case .session(let id): try store.session(id: id)
                }
            }) { result in
                switch result {
                // why: no API key here, so only test records are shown; a real user's status stays behind /v1/.
                case .success(let record?) where record.isTest:
                    // The API's status document with `"found":true` in front.
                    var body = Array("{\"found\":true,".utf8)
                    body += StatusDocument.encode(record, now: now).dropFirst()
                    let document = body
                    complete { APIResponse.json(.ok, bytes: document) }
                case .success:
                    complete { APIResponse.json(.ok, ["found": false]) }
                case .failure(let error):
                    complete { APIResponse.storeFailure(error) }
                }
            }
        }
    }

    /// `POST /qa/sessions`: a test session with the default TTL and return link.
    /// why: `application/json` is required so that a plain cross-site form cannot create sessions.
    func createSession(_ request: HTTPRequest) -> HandlerResult {
        guard (request.headers["Content-Type"] ?? "").lowercased().hasPrefix("application/json") else {
            return .response(APIResponse.error(.unsupportedMediaType, "unsupported_media_type", "Send Content-Type: application/json."))
        }
        return service.createSession(
            clientUserId: "qa", returnURL: nil, ttl: service.settings.sessionTTL, isTest: true,
            statusPath: { Self.statusPath + "?sessionId=" + $0 })
    }

    // MARK: - Headers

    private func newNonce() -> String { Base64URL.encode(service.environment.randomBytes(16)) }

    /// The landing pages' security headers, with a CSP that also allows `fetch` to this server and,
    /// with `formAction`, forms submitted to it.
    static func headers(nonce: String, formAction: Bool) -> HTTPHeaders {
        var headers = LandingPage.securityHeaders(nonce: nonce, contentType: "text/html; charset=utf-8")
        headers.replaceOrAdd(
            name: "Content-Security-Policy",
            value: "default-src 'none'; script-src 'nonce-\(nonce)'; style-src 'nonce-\(nonce)'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action \(formAction ? "'self'" : "'none'"); frame-ancestors 'none'")
        headers.add(name: "X-Robots-Tag", value: "noindex, nofollow")
        return headers
    }
}
