/// What the server knows about a request beyond its bytes.
public struct RequestContext: Sendable {
    /// Unique per request; logged and sent back as `X-Request-Id`.
    public var requestID: String
    /// The peer's address (no port), for logs.
    public var remoteAddress: String
    /// Whether the request came over TLS.
    public var isSecure: Bool
    /// Cancellation and a timer for deferred work, kept by the connection that waits for it.
    public var lifetime: RequestLifetime

    public init(requestID: String, remoteAddress: String, isSecure: Bool, lifetime: RequestLifetime = RequestLifetime()) {
        self.requestID = requestID
        self.remoteAddress = remoteAddress
        self.isSecure = isSecure
        self.lifetime = lifetime
    }
}

/// Builds a response; deferred work hands one back so the rendering runs on the connection's loop
/// thread, not on the thread that did the slow work.
public typealias ResponseBuilder = @Sendable () -> HTTPResponse

/// What a handler returns.
public enum HandlerResult: Sendable {
    /// The response, computed on the event loop: pure, fast work only.
    case response(HTTPResponse)
    /// Slow work (disk, waiting). The server calls the closure on the event loop; the closure must hand
    /// the work to another thread and call `complete` exactly once, from any thread, with a builder
    /// that the server runs back on the event loop.
    case deferred(@Sendable (_ complete: @escaping @Sendable (@escaping ResponseBuilder) -> Void) -> Void)
}

/// A route handler: the request, its context and the path parameters.
public typealias RouteHandler = @Sendable (HTTPRequest, RequestContext, RouteParameters) -> HandlerResult

/// The request → response function the server runs for every request: method checks, routing,
/// 404/405/501. Pure: no sockets, no clock.
public struct Application: Sendable {
    /// Whether this server implements `method` somewhere (GET, HEAD, POST, PUT, DELETE, OPTIONS,
    /// PATCH); any other method is 501 (RFC 9110 §9.1).
    public static func implements(_ method: HTTPMethod) -> Bool {
        switch method {
        case .get, .head, .post, .put, .delete, .options, .patch: true
        case .trace, .connect, .other: false
        }
    }

    private let handler: @Sendable (HTTPRequest, RequestContext) -> (HandlerResult, route: String)

    /// An application that routes with `router`.
    public init(router: Router<RouteHandler>) {
        self.handler = { request, context in Self.route(request, context: context, router: router) }
    }

    /// An application that answers every request with `handler` (the plain-HTTP redirect); `route`
    /// is its label in metrics.
    public init(route: String = "*", handler: @escaping @Sendable (HTTPRequest, RequestContext) -> HandlerResult) {
        self.handler = { request, context in (handler(request, context), route) }
    }

    public func handle(_ request: HTTPRequest, context: RequestContext) -> HandlerResult {
        handler(request, context).0
    }

    /// Handles the request and names the route that answered it (its pattern, e.g.
    /// `/v1/items/{itemId}`, or `unmatched`/`unsupported-method`), for metrics labels that stay few.
    public func handleRouted(_ request: HTTPRequest, context: RequestContext) -> (HandlerResult, route: String) {
        handler(request, context)
    }

    static func route(_ request: HTTPRequest, context: RequestContext, router: Router<RouteHandler>) -> (HandlerResult, route: String) {
        guard Self.implements(request.method) else {
            // RFC 9110 §9.3.6: after a CONNECT the client may treat what follows as a tunnel;
            // close rather than read those bytes as the next request.
            let close = request.method == .connect
            return (.response(.text(.notImplemented, "501 Not Implemented: this server does not implement that method.", closeConnection: close)), "unsupported-method")
        }
        switch router.match(method: request.method, path: request.path) {
        case .found(let handler, let parameters, let pattern):
            return (handler(request, context, parameters), pattern)
        case .methodNotAllowed(let allowed):
            var response = HTTPResponse.text(.methodNotAllowed, "405 Method Not Allowed: this resource accepts \(allowed.map(\.description).joined(separator: ", ")).")
            response.headers.add(name: "Allow", value: allowed.map(\.description).joined(separator: ", "))
            return (.response(response), "method-not-allowed")
        case .notFound:
            return (.response(.text(.notFound, "404 Not Found: there is nothing at this path.")), "unmatched")
        }
    }
}
