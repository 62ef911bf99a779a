import Testing
@testable import LandingCore

@Suite struct RouterTests {
    static func router() -> Router<String> {
        var router = Router<String>()
        router.add(.get, "/healthz", "health")
        router.add(.get, "/v1/items/{itemId}", "item")
        router.add(.delete, "/v1/sessions/{id}", "delete-session")
        router.add(.get, "/v1/sessions/{id}", "get-session")
        router.add(.post, "/v1/sessions", "create-session")
        return router
    }

    /// A literal route matches its exact path only.
    @Test func router_MatchesLiteralPath() {
        guard case .found(let h, let p, _) = Self.router().match(method: .get, path: "/healthz") else {
            Issue.record("no match")
            return
        }
        #expect(h == "health")
        #expect(p.isEmpty)
        if case .notFound = Self.router().match(method: .get, path: "/healthz/") {} else { Issue.record("trailing slash matched") }
        if case .notFound = Self.router().match(method: .get, path: "/HEALTHZ") {} else { Issue.record("case-insensitive match") }
    }

    /// A parameter binds one non-empty segment, still percent-encoded.
    @Test func router_BindsPathParameters() {
        guard case .found(let h, let p, _) = Self.router().match(method: .get, path: "/v1/items/abc%2Fdef") else {
            Issue.record("no match")
            return
        }
        #expect(h == "item")
        #expect(p == ["itemId": "abc%2Fdef"])
        if case .notFound = Self.router().match(method: .get, path: "/v1/items/") {} else { Issue.record("empty parameter matched") }
        if case .notFound = Self.router().match(method: .get, path: "/v1/items/a/b") {} else { Issue.record("extra segment matched") }
    }

    /// HEAD is served by the GET route.
    @Test func router_ServesHeadWithGetRoute() {
        guard case .found(let h, _, _) = Self.router().match(method: .head, path: "/healthz") else {
            Issue.record("no match")
            return
        }
        #expect(h == "health")
    }

    /// A path that exists with other methods is 405 with every allowed method, HEAD included with GET.
    @Test func router_ReportsAllowedMethods_WhenMethodDiffers() {
        guard case .methodNotAllowed(let allowed) = Self.router().match(method: .put, path: "/v1/sessions/x") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == [.delete, .get, .head])
    }

    /// An unknown path is not found.
    @Test func router_ReportsNotFound() {
        if case .notFound = Self.router().match(method: .get, path: "/nope") {} else { Issue.record("matched") }
        if case .notFound = Self.router().match(method: .get, path: "*") {} else { Issue.record("asterisk matched") }
    }
}

@Suite struct ApplicationTests {
    static let app: Application = {
        var router = Router<RouteHandler>()
        CoreRoutes.install(into: &router) { true }
        return Application(router: router)
    }()
    static let context = RequestContext(requestID: "r1", remoteAddress: "127.0.0.1", isSecure: true)

    static func respond(_ method: HTTPMethod, _ path: String) -> HTTPResponse? {
        let request = HTTPRequest(method: method, target: path, path: path, query: nil, version: .http1_1, headers: HTTPHeaders([("Host", "x")]))
        guard case .response(let r) = app.handle(request, context: context) else { return nil }
        return r
    }

    /// Methods the server does not implement get 501, even on existing paths.
    @Test func application_Answers501_ForUnknownMethods() {
        #expect(Self.respond(.other("FOO"), "/healthz")?.status.code == 501)
        #expect(Self.respond(.trace, "/healthz")?.status.code == 501)
        #expect(Self.respond(.connect, "/healthz")?.status.code == 501)
        #expect(Self.respond(.trace, "/healthz")?.closeConnection == false)
    }

    /// CONNECT is answered 501 and the connection closed: bytes after it may be a tunnel, never a request.
    @Test func application_ClosesAfterConnect() {
        #expect(Self.respond(.connect, "/healthz")?.closeConnection == true)
    }

    /// A known method on an existing path with another method gets 405 and `Allow`.
    @Test func application_Answers405WithAllow() {
        let r = Self.respond(.post, "/healthz")
        #expect(r?.status.code == 405)
        #expect(r?.headers["Allow"] == "GET, HEAD")
    }

    /// No route gets 404 with a short body.
    @Test func application_Answers404() {
        let r = Self.respond(.get, "/missing")
        #expect(r?.status.code == 404)
        #expect(!(r?.body.isEmpty ?? true))
    }

    /// /readyz follows the readiness closure: 200 while ready, 503 with close while draining.
    @Test func readyz_Answers503_WhenDraining() {
        var router = Router<RouteHandler>()
        CoreRoutes.install(into: &router) { false }
        let app = Application(router: router)
        let request = HTTPRequest(method: .get, target: "/readyz", path: "/readyz", query: nil, version: .http1_1, headers: HTTPHeaders([("Host", "x")]))
        guard case .response(let r) = app.handle(request, context: Self.context) else {
            Issue.record("deferred")
            return
        }
        #expect(r.status.code == 503)
        #expect(r.closeConnection)
        #expect(Self.respond(.get, "/readyz")?.status.code == 200)
    }

    /// The plain-HTTP redirect uses the configured public URL, never the Host header, and keeps path and query.
    @Test func httpsRedirect_UsesPublicURL_NotHost() {
        let app = HTTPSRedirect.application(publicURL: "https://landing.example.com/")
        let request = HTTPRequest(method: .get, target: "/a/b?x=1", path: "/a/b", query: "x=1", version: .http1_1, headers: HTTPHeaders([("Host", "evil.example")]))
        guard case .response(let r) = app.handle(request, context: Self.context) else {
            Issue.record("deferred")
            return
        }
        #expect(r.status.code == 308)
        #expect(r.headers["Location"] == "https://landing.example.com/a/b?x=1")
    }
}
