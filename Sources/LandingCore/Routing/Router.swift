/// Maps a method and a path to a handler. Patterns are literal segments and `{name}` parameters
/// (`/v1/items/{itemId}`); a parameter matches one non-empty segment, still percent-encoded.
/// HEAD is answered by GET routes (RFC 9110 §9.3.2).
public struct Router<Handler: Sendable>: Sendable {
    /// What a lookup found.
    public enum Match {
        case found(Handler, parameters: [String: String], pattern: String)
        /// The path exists with other methods: answer 405 with `Allow` (RFC 9110 §15.5.6).
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    struct Route: Sendable {
        var pattern: String
        var method: HTTPMethod
        var segments: [Segment]
        var handler: Handler
    }

    private var routes: [Route] = []

    public init() {}

    /// Adds a route. `pattern` starts with "/".
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: Handler) {
        precondition(pattern.hasPrefix("/"), "route patterns start with /")
        let segments = pattern.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { part -> Segment in
            if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                return .parameter(String(part.dropFirst().dropLast()))
            }
            return .literal(String(part))
        }
        routes.append(Route(pattern: pattern, method: method, segments: segments, handler: handler))
    }

    /// Finds the handler for `method` on `path` (the percent-encoded path of the request).
    public func match(method: HTTPMethod, path: String) -> Match {
        guard path.hasPrefix("/") else { return .notFound }
        let parts = path.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var allowed: [HTTPMethod] = []
        var pathExists = false
        for index in routes.indices where routes[index].segments.count == parts.count {
            let route = routes[index]
            guard let parameters = Self.bind(route.segments, to: parts) else { continue }
            pathExists = true
            if route.method == method || (method == .head && route.method == .get) {
                return .found(route.handler, parameters: parameters, pattern: route.pattern)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
            if route.method == .get && !allowed.contains(.head) { allowed.append(.head) }
        }
        return pathExists ? .methodNotAllowed(allowed: allowed) : .notFound
    }

    private static func bind(_ segments: [Segment], to parts: [Substring.UTF8View]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal):
                // why: most literals differ in length; comparing counts first skips the byte walk.
                guard literal.utf8.count == part.count, literal.utf8.elementsEqual(part) else { return nil }
            case .parameter(let name):
                guard !part.isEmpty else { return nil }
                parameters[name] = String(Substring(part))
            }
        }
        return parameters
    }
}
