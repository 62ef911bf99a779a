import Foundation

/// `/v1/` endpoints: create a session (`POST /v1/sessions`), read a session or an item, delete a
/// session. Every request needs `Authorization: Bearer <key>`; every error is JSON
/// `{"error": "...", "message": "..."}`.
struct SessionAPI: Sendable {
    let service: LandingService

    func install(into router: inout Router<RouteHandler>) {
        let api = self
        router.add(.post, "/v1/sessions") { request, context, _ in
            api.cors(request, api.authorized(request, context) { _ in api.createSession(request) })
        }
        router.add(.get, "/v1/sessions/{id}") { request, context, p in
            api.cors(request, api.authorized(request, context) { owner in api.readSession(p["id"] ?? "", request, ReadContext(owner: owner, lifetime: context.lifetime)) })
        }
        router.add(.delete, "/v1/sessions/{id}") { request, context, p in
            api.cors(request, api.authorized(request, context) { _ in api.deleteSession(p["id"] ?? "") })
        }
        router.add(.get, "/v1/items/{itemId}") { request, context, p in
            api.cors(request, api.authorized(request, context) { owner in api.readItem(p["itemId"] ?? "", request, ReadContext(owner: owner, lifetime: context.lifetime)) })
        }
        for pattern in ["/v1/sessions", "/v1/sessions/{id}", "/v1/items/{itemId}"] {
            router.add(.options, pattern) { request, _, _ in .response(api.preflight(request)) }
        }
    }

    // MARK: - CORS (Fetch standard; exact origins from --cors-origin, nothing by default)

    /// The request's `Origin` when it is one of `--cors-origin`.
    func allowedOrigin(_ request: HTTPRequest) -> String? {
        guard let origin = request.headers["Origin"], service.settings.corsOrigins.contains(origin) else { return nil }
        return origin
    }

    /// Answers a CORS preflight: 204 with the allowed methods and headers for a configured origin,
    /// 403 JSON for any other.
    func preflight(_ request: HTTPRequest) -> HTTPResponse {
        guard let origin = allowedOrigin(request) else {
            var r = APIResponse.error(.forbidden, "cors_origin_not_allowed", "This origin may not call the API from a browser.")
            r.headers.add(name: "Vary", value: "Origin")
            return r
        }
        var headers = HTTPHeaders()
        headers.add(name: "Access-Control-Allow-Origin", value: origin)
        headers.add(name: "Access-Control-Allow-Methods", value: "GET, POST, DELETE, OPTIONS")
        headers.add(name: "Access-Control-Allow-Headers", value: "Authorization, Content-Type, If-None-Match, Prefer")
        headers.add(name: "Access-Control-Max-Age", value: "600")
        headers.add(name: "Vary", value: "Origin")
        headers.add(name: "Cache-Control", value: "no-store")
        return HTTPResponse(status: .noContent, headers: headers)
    }

    /// Adds the CORS response headers (now or when a deferred response is built).
    func cors(_ request: HTTPRequest, _ result: HandlerResult) -> HandlerResult {
        guard let origin = allowedOrigin(request) else { return result }
        @Sendable func decorate(_ response: HTTPResponse) -> HTTPResponse {
            var response = response
            response.headers.add(name: "Access-Control-Allow-Origin", value: origin)
            response.headers.add(name: "Access-Control-Expose-Headers", value: "ETag, Preference-Applied, WWW-Authenticate")
            response.headers.add(name: "Vary", value: "Origin")
            return response
        }
        switch result {
        case .response(let response):
            return .response(decorate(response))
        case .deferred(let work):
            return .deferred { complete in work { build in complete { decorate(build()) } } }
        }
    }

    // MARK: - Auth

    /// Runs `body` when the request carries one of the configured API keys (compared in constant time),
    /// with the key's owner label (`key-N`, its position in the list: never the key itself).
    func authorized(_ request: HTTPRequest, _ context: RequestContext? = nil, _ body: (String) -> HandlerResult) -> HandlerResult {
        // why: the header's bytes are matched in place (no lowercased copy, no arrays): it runs on
        // every /v1/ request.
        var header = request.headers["Authorization"] ?? ""
        let owner: String?? = header.withUTF8 { bytes in
            guard bytes.count > 7, Self.isBearerPrefix(bytes) else { return .none }
            return .some(service.apiKeys.owner(of: UnsafeBufferPointer(rebasing: bytes[7...])))
        }
        guard let owner else {
            service.events.record(LandingEvent(kind: .authenticationFailure, requestID: context?.requestID, outcome: "missing", detail: "api"))
            return .response(APIResponse.unauthorized("Send Authorization: Bearer <api key>."))
        }
        guard let owner else {
            service.events.record(LandingEvent(kind: .authenticationFailure, requestID: context?.requestID, outcome: "invalid", detail: "api"))
            return .response(APIResponse.unauthorized("The API key is not valid."))
        }
        return body(owner)
    }

    /// Whether `bytes` start with `Bearer ` in any case (RFC 9110 §11.1: the scheme is case-insensitive).
    static func isBearerPrefix(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count >= 7, bytes[6] == UInt8(ascii: " ") else { return false }
        let scheme: StaticString = "bearer"
        return scheme.withUTF8Buffer { scheme in
            for i in 0..<6 where bytes[i] | 0x20 != scheme[i] { return false }
            return true
        }
    }

    // MARK: - Sessions

    func createSession(_ request: HTTPRequest) -> HandlerResult {
        guard (request.headers["Content-Type"] ?? "").lowercased().hasPrefix("application/json") else {
            return .response(APIResponse.error(.unsupportedMediaType, "unsupported_media_type", "Send the session as application/json."))
        }
        /// The request body; JSONDecoder enforces the types (a boolean or 1.5 is not an Int).
        struct Body: Decodable {
            var clientUserId: String?
            var returnUrl: String?
            var ttlSeconds: Int?
            var language: String?
        }
        let bodyData = request.body.isEmpty ? Data("{}".utf8) : Data(request.body)
        guard let object = try? JSONSerialization.jsonObject(with: bodyData) as? [String: Any] else {
            return .response(APIResponse.error(.badRequest, "invalid_json", "The body must be a JSON object."))
        }
        let known: Set<String> = ["clientUserId", "returnUrl", "ttlSeconds", "language"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            return .response(APIResponse.error(.badRequest, "invalid_request", "Unknown field \"\(Self.printable(unknown, max: 64))\"."))
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: bodyData) else {
            return .response(APIResponse.error(.badRequest, "invalid_request", "clientUserId, returnUrl and language must be strings, ttlSeconds a whole number."))
        }
        var clientUserId: String?
        if let s = body.clientUserId {
            guard !s.isEmpty, s.count <= 256, s.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                return .response(APIResponse.error(.badRequest, "invalid_request", "clientUserId must be a string of 1 to 256 printable characters."))
            }
            clientUserId = s
        }
        var returnURL: String?
        if let s = body.returnUrl {
            guard let policy = service.settings.returnURLPolicy, policy.allows(s) else {
                return .response(APIResponse.error(.badRequest, "return_url_not_allowed", "returnUrl is not allowed by the server's --allowed-return-url list."))
            }
            returnURL = s
        }
        var ttl = service.settings.sessionTTL
        if let i = body.ttlSeconds {
            guard (60...86_400).contains(i) else {
                return .response(APIResponse.error(.badRequest, "invalid_request", "ttlSeconds must be a whole number from 60 to 86400."))
            }
            ttl = Double(i)
        }
        // The page language the app chose: one of the catalogs' tags (any case); it wins over the
        // browser's Accept-Language on this session's page.
        var language: String?
        if let s = body.language {
            let languages = service.templates().languages
            guard let tag = languages.first(where: { $0.lowercased() == s.lowercased() }) else {
                return .response(APIResponse.error(
                    .badRequest, "invalid_request", "language must be one of " + languages.joined(separator: ", ") + "."))
            }
            language = tag
        }
        return service.createSession(
            clientUserId: clientUserId, returnURL: returnURL, ttl: ttl, isTest: false, language: language,
            statusPath: { "/v1/sessions/" + $0 })
    }

    /// Who reads, and the connection's hooks for a long-poll (cancel when the client leaves, the wait's timer).
    struct ReadContext {
        var owner: String
        var lifetime: RequestLifetime
    }

    func readSession(_ id: String, _ request: HTTPRequest, _ context: ReadContext) -> HandlerResult {
        guard Base64URL.isSessionID(id) else { return .response(APIResponse.error(.notFound, "not_found", "No such session.")) }
        return read(.session(id), request, context) { store throws(StoreError) in try store.session(id: id) }
    }

    func readItem(_ id: String, _ request: HTTPRequest, _ context: ReadContext) -> HandlerResult {
        guard CallbackParameters.isValidItemId(id) else {
            return .response(APIResponse.error(.notFound, "not_found", "No such item."))
        }
        return read(.item(id), request, context) { store throws(StoreError) in try store.item(id: id) }
    }

    func deleteSession(_ id: String) -> HandlerResult {
        guard Base64URL.isSessionID(id) else { return .response(APIResponse.error(.notFound, "not_found", "No such session.")) }
        return .deferred { complete in
            service.store.deleteSession(id: id) { result in
                switch result {
                case .success(true):
                    complete { HTTPResponse(status: .noContent, headers: HTTPHeaders([("Cache-Control", "no-store")])) }
                case .success(false): complete { APIResponse.error(.notFound, "not_found", "No such session.") }
                case .failure(let error): complete { APIResponse.storeFailure(error) }
                }
            }
        }
    }

    /// Longest long-poll, in seconds (issue: N ≤ 60).
    static let maxWait = 60

    /// The long-poll wait asked for: `Prefer: wait=N` (RFC 7240 §4.3) or `?wait=N`; capped at 60.
    static func requestedWait(_ request: HTTPRequest) -> Int? {
        var value: Int?
        for preference in request.headers.values("Prefer").flatMap({ $0.split(separator: ",") }) {
            let p = preference.trimmingASCIIWhitespace()
            if p.lowercased().hasPrefix("wait=") { value = Int(p.dropFirst(5)) }
        }
        if value == nil, let query = request.query, let pairs = try? FormDecoder.decode(query) {
            value = pairs.last { $0.name == "wait" }.flatMap { Int($0.value) }
        }
        guard let value, value >= 0 else { return nil }
        return min(value, maxWait)
    }

    /// Whether `If-None-Match` (RFC 9110 §13.1.2) names `etag` (or is `*` and the record exists).
    static func ifNoneMatchMatches(_ header: String?, etag: String?) -> Bool {
        guard let header, let etag else { return false }
        return header.split(separator: ",").contains { tag in
            let t = tag.trimmingASCIIWhitespace()
            return t == "*" || t == Substring(etag) || t == Substring("W/" + etag)
        }
    }

    /// Reads a record, honouring `If-None-Match` (304) and long-poll (`Prefer: wait=N`): while the
    /// record still matches the client's ETag, the request waits (holding no thread, with a ticket
    /// from `RecordWaiters`) until a write to it, its connection's timer (304), shutdown (the current
    /// state) or the client leaving (the ticket is cancelled and nothing is sent).
    private func read(
        _ key: LandingRecord.Key, _ request: HTTPRequest, _ context: ReadContext,
        _ lookup: @escaping @Sendable (LandingStore) throws(StoreError) -> LandingRecord?
    ) -> HandlerResult {
        // why: fields of `service` are read one by one: `let service = self.service` copied the
        // whole service (about 20 references retained and released) on every read.
        let wait = Self.requestedWait(request)
        let ifNoneMatch = request.headers["If-None-Match"]
        var reserved: RecordWaiters.Ticket?
        if let wait, wait > 0 {
            let waiters = service.waiters
            switch waiters.reserve(owner: context.owner) {
            case .success(let t):
                reserved = t
            case .failure(let refusal):
                var response = APIResponse.error(
                    .serviceUnavailable, "too_many_waiters",
                    refusal == .tooManyForOwner
                        ? "This API key has too many long-polls waiting; poll again later." : "Too many long-polls are waiting; poll again later.")
                response.headers.add(name: "Retry-After", value: "5")
                return .response(response)
            }
            let held = reserved!
            // The connection runs the deadline on its loop, and cancels when the client leaves.
            context.lifetime.setTimer(after: Double(wait)) { waiters.timeOut(held) }
            context.lifetime.onCancel { waiters.cancel(held) }
        }
        let ticket = reserved
        let cache = service.readCache
        // why: `StatusRead` holds these references, not `service`: a copy of the whole service
        // (settings, templates, sinks…) in a closure context cost about 700 bytes per waiting
        // long-poll.
        let waiters = service.waiters
        let store = service.store
        let clock = service.environment.now
        // No wait: a cached record answers now, on this loop (the same response a store read gives).
        if ticket == nil, let cache {
            let now = service.environment.now()
            let hit = cache.rendered(key, now: now) { record, status in
                let tag = StatusDocument.etag(of: record, now: now)
                // The cached answers are sent many times: their fields carry their wire form.
                var full = Self.statusResponse(record, tag: tag, unchanged: false, now: now)
                full.headers = full.headers.serialized()
                var notModified = Self.statusResponse(record, tag: tag, unchanged: true, now: now)
                notModified.headers = notModified.headers.serialized()
                return RecordReadCache.Rendered(status: status, etag: tag, full: full, notModified: notModified)
            }
            if let hit {
                var response = Self.ifNoneMatchMatches(ifNoneMatch, etag: hit.etag) ? hit.notModified : hit.full
                if let wait { response.headers.add(name: "Preference-Applied", value: "wait=\(wait)") }
                return .response(response)
            }
        }
        return .deferred { complete in
            StatusRead(
                key: key, lookup: lookup, ticket: ticket, ifNoneMatch: ifNoneMatch, wait: wait, waiters: waiters,
                store: store, clock: clock, cache: cache, complete: complete
            ).attempt(final: false)
        }
    }

    /// 304 (`unchanged`) or 200 with `record`'s document, with its ETag `tag` and `Cache-Control: no-store`.
    static func statusResponse(_ record: LandingRecord, tag: String, unchanged: Bool, now: Int64) -> HTTPResponse {
        var response =
            unchanged ? HTTPResponse(status: .notModified) : APIResponse.json(.ok, bytes: StatusDocument.encode(record, now: now))
        response.headers.replaceOrAdd(name: "ETag", value: tag)
        response.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
        return response
    }

    static func printable(_ s: String, max: Int) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.prefix(max).map { $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" ? $0 : "?" }))
    }
}
