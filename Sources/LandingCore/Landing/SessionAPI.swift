import Foundation

/// `/v1/` endpoints: create a session (`POST /v1/sessions`), read a session or an item, delete a
/// session. Every request needs `Authorization: Bearer <key>`; every error is JSON
/// `{"error": "...", "message": "..."}`.
struct SessionAPI: Sendable {
    let service: LandingService

    func install(into router: inout Router<RouteHandler>) {
        let api = self
        router.add(.post, "/v1/sessions") { request, _, _ in api.authorized(request) { api.createSession(request) } }
        router.add(.get, "/v1/sessions/{id}") { request, _, p in api.authorized(request) { api.readSession(p["id"] ?? "") } }
        router.add(.delete, "/v1/sessions/{id}") { request, _, p in api.authorized(request) { api.deleteSession(p["id"] ?? "") } }
        router.add(.get, "/v1/items/{itemId}") { request, _, p in api.authorized(request) { api.readItem(p["itemId"] ?? "") } }
    }

    // MARK: - Auth

    /// Runs `body` when the request carries one of the configured API keys (compared in constant time).
    func authorized(_ request: HTTPRequest, _ body: () -> HandlerResult) -> HandlerResult {
        guard let header = request.headers["Authorization"], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else { return .response(Self.unauthorized("Send Authorization: Bearer <api key>.")) }
        let presented = Array(header.dropFirst(7).utf8)
        var match = false
        for key in service.settings.apiKeys where Self.constantTimeEquals(Array(key.utf8), presented) {
            match = true
        }
        guard match else { return .response(Self.unauthorized("The API key is not valid.")) }
        return body()
    }

    /// Compares without an early exit on the first differing byte (length still leaks, which is fine
    /// for random keys of a known length).
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    static func unauthorized(_ message: String) -> HTTPResponse {
        var response = error(.unauthorized, "unauthorized", message)
        response.headers.add(name: "WWW-Authenticate", value: "Bearer")
        return response
    }

    static func error(_ status: HTTPStatus, _ code: String, _ message: String) -> HTTPResponse {
        json(status, ["error": code, "message": message])
    }

    static func json(_ status: HTTPStatus, _ object: [String: Any]) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return HTTPResponse(status: status, headers: headers, body: Array(body))
    }

    // MARK: - Sessions

    func createSession(_ request: HTTPRequest) -> HandlerResult {
        guard (request.headers["Content-Type"] ?? "").lowercased().hasPrefix("application/json") else {
            return .response(Self.error(.unsupportedMediaType, "unsupported_media_type", "Send the session as application/json."))
        }
        /// The request body; JSONDecoder enforces the types (a boolean or 1.5 is not an Int).
        struct Body: Decodable {
            var clientUserId: String?
            var returnUrl: String?
            var ttlSeconds: Int?
        }
        let bodyData = request.body.isEmpty ? Data("{}".utf8) : Data(request.body)
        guard let object = try? JSONSerialization.jsonObject(with: bodyData) as? [String: Any] else {
            return .response(Self.error(.badRequest, "invalid_json", "The body must be a JSON object."))
        }
        let known: Set<String> = ["clientUserId", "returnUrl", "ttlSeconds"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            return .response(Self.error(.badRequest, "invalid_request", "Unknown field \"\(Self.printable(unknown, max: 64))\"."))
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: bodyData) else {
            return .response(Self.error(.badRequest, "invalid_request", "clientUserId and returnUrl must be strings, ttlSeconds a whole number."))
        }
        var clientUserId: String?
        if let s = body.clientUserId {
            guard !s.isEmpty, s.count <= 256, s.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                return .response(Self.error(.badRequest, "invalid_request", "clientUserId must be a string of 1 to 256 printable characters."))
            }
            clientUserId = s
        }
        var returnURL: String?
        if let s = body.returnUrl {
            guard let policy = service.settings.returnURLPolicy, policy.allows(s) else {
                return .response(Self.error(.badRequest, "return_url_not_allowed", "returnUrl is not allowed by the server's --allowed-return-url list."))
            }
            returnURL = s
        }
        var ttl = service.settings.sessionTTL
        if let i = body.ttlSeconds {
            guard (60...86_400).contains(i) else {
                return .response(Self.error(.badRequest, "invalid_request", "ttlSeconds must be a whole number from 60 to 86400."))
            }
            ttl = Double(i)
        }
        let now = service.environment.now()
        let id = Base64URL.encode(service.environment.randomBytes(16))
        let session = NewSession(id: id, clientUserId: clientUserId, returnURL: returnURL, createdAt: now, expiresAt: now + Int64(ttl * 1000))
        let settings = service.settings
        return .deferred { complete in
            service.store.perform({ store throws(StoreError) in try store.createSession(session) }) { result in
                switch result {
                case .success(let record):
                    complete {
                        Self.json(.created, [
                            "id": id,
                            "redirectUri": settings.publicURL + settings.callbackPath + "/" + id,
                            "statusUrl": settings.publicURL + "/v1/sessions/" + id,
                            "expiresAt": Self.rfc3339(record.expiresAt ?? session.expiresAt),
                        ])
                    }
                case .failure:
                    complete { Self.error(.serviceUnavailable, "store_unavailable", "The session could not be stored; try again.") }
                }
            }
        }
    }

    func readSession(_ id: String) -> HandlerResult {
        guard Base64URL.isSessionID(id) else { return .response(Self.error(.notFound, "not_found", "No such session.")) }
        return read { store throws(StoreError) in try store.session(id: id) }
    }

    func readItem(_ id: String) -> HandlerResult {
        guard id.utf8.count <= 128, !id.isEmpty, id.utf8.allSatisfy(Self.isItemIDByte) else {
            return .response(Self.error(.notFound, "not_found", "No such item."))
        }
        return read { store throws(StoreError) in try store.item(id: id) }
    }

    func deleteSession(_ id: String) -> HandlerResult {
        guard Base64URL.isSessionID(id) else { return .response(Self.error(.notFound, "not_found", "No such session.")) }
        return .deferred { complete in
            service.store.perform({ store throws(StoreError) in try store.deleteSession(id: id) }) { result in
                switch result {
                case .success(true): complete { HTTPResponse(status: .noContent, headers: HTTPHeaders([("Cache-Control", "no-store")])) }
                case .success(false): complete { Self.error(.notFound, "not_found", "No such session.") }
                case .failure: complete { Self.error(.serviceUnavailable, "store_unavailable", "Try again.") }
                }
            }
        }
    }

    private func read(_ work: @escaping @Sendable (LandingStore) throws(StoreError) -> LandingRecord?) -> HandlerResult {
        let now = service.environment.now()
        return .deferred { complete in
            service.store.perform(work) { result in
                switch result {
                case .success(let record?): complete { Self.json(.ok, Self.statusObject(record, now: now)) }
                case .success(nil): complete { Self.error(.notFound, "not_found", "No such record.") }
                case .failure: complete { Self.error(.serviceUnavailable, "store_unavailable", "Try again.") }
                }
            }
        }
    }

    /// The status document of a record.
    static func statusObject(_ record: LandingRecord, now: Int64) -> [String: Any] {
        var error: Any = NSNull()
        if let e = record.error {
            error = ["code": e.code, "description": e.description.map { $0 as Any } ?? NSNull()]
        }
        return [
            "itemId": record.itemId.map { $0 as Any } ?? NSNull(),
            "sessionId": record.sessionId.map { $0 as Any } ?? NSNull(),
            "status": record.effectiveStatus(now: now).rawValue,
            "confirmed": record.confirmed,
            "error": error,
            "callbacks": record.hits,
            "test": record.isTest,
            "createdAt": rfc3339(record.createdAt),
            "updatedAt": rfc3339(record.updatedAt),
            "expiresAt": record.expiresAt.map { rfc3339($0) as Any } ?? NSNull(),
        ]
    }

    static func rfc3339(_ millis: Int64) -> String {
        let seconds = Int(millis / 1000)
        return Timestamp.rfc3339(seconds: seconds, nanoseconds: Int(millis % 1000) * 1_000_000, fractionalDigits: false)
    }

    /// `A-Z a-z 0-9 . _ -`: the item id alphabet.
    static func isItemIDByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F || b == 0x2D
    }

    static func printable(_ s: String, max: Int) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.prefix(max).map { $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" ? $0 : "?" }))
    }
}
