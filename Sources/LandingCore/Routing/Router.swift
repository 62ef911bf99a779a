/// Maps a method and a path to a handler. Patterns are literal segments and `{name}` parameters
/// (`/v1/items/{itemId}`); a parameter matches one non-empty segment, still percent-encoded.
/// HEAD is answered by GET routes (RFC 9110 §9.3.2).
public struct Router<Handler: Sendable>: Sendable {
    /// What a lookup found.
    public enum Match {
        case found(Handler, parameters: RouteParameters, pattern: String)
        /// The path exists with other methods: answer 405 with `Allow` (RFC 9110 §15.5.6).
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    enum Segment: Sendable, Equatable {
        /// A segment that must equal these bytes.
        case literal([UInt8])
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
            return .literal(Array(part.utf8))
        }
        routes.append(Route(pattern: pattern, method: method, segments: segments, handler: handler))
    }

    /// Finds the handler for `method` on `path` (the percent-encoded path of the request).
    // why: this runs on every request; it walks the path's bytes in place for each route of the
    // same segment count (no split into an array, no dictionary) and makes a String only for a
    // parameter of the route that matched.
    public func match(method: HTTPMethod, path: String) -> Match {
        var path = path
        return path.withUTF8 { bytes in
            guard bytes.first == UInt8(ascii: "/") else { return .notFound }
            let segmentCount = bytes.reduce(0) { $1 == UInt8(ascii: "/") ? $0 + 1 : $0 }
            var allowed: [HTTPMethod] = []
            var pathExists = false
            for index in routes.indices where routes[index].segments.count == segmentCount {
                guard Self.matches(routes[index].segments, bytes) else { continue }
                let route = routes[index]
                pathExists = true
                if route.method == method || (method == .head && route.method == .get) {
                    return .found(route.handler, parameters: Self.bind(route.segments, bytes), pattern: route.pattern)
                }
                if !allowed.contains(route.method) { allowed.append(route.method) }
                if route.method == .get && !allowed.contains(.head) { allowed.append(.head) }
            }
            return pathExists ? .methodNotAllowed(allowed: allowed) : .notFound
        }
    }

    /// Calls `body` with the byte range of each segment of `path` (which starts with "/") after
    /// its slash, in order, until `body` returns false; returns whether every call returned true.
    private static func forEachSegment(_ path: UnsafeBufferPointer<UInt8>, _ body: (Int, Range<Int>) -> Bool) -> Bool {
        var start = 1
        var index = 0
        while true {
            var end = start
            while end < path.count && path[end] != UInt8(ascii: "/") { end += 1 }
            guard body(index, start..<end) else { return false }
            guard end < path.count else { return true }
            start = end + 1
            index += 1
        }
    }

    /// Whether `path` has `segments.count` segments, each literal equal and each parameter non-empty.
    private static func matches(_ segments: [Segment], _ path: UnsafeBufferPointer<UInt8>) -> Bool {
        forEachSegment(path) { index, range in
            guard index < segments.count else { return false }
            switch segments[index] {
            case .literal(let literal):
                // why: most literals differ in length; comparing counts first skips the byte walk.
                guard literal.count == range.count else { return false }
                return literal.withUnsafeBufferPointer { literal in
                    for offset in 0..<literal.count where literal[offset] != path[range.lowerBound + offset] { return false }
                    return true
                }
            case .parameter:
                return !range.isEmpty
            }
        }
    }

    /// The parameters of a route `matches` accepted for `path`.
    private static func bind(_ segments: [Segment], _ path: UnsafeBufferPointer<UInt8>) -> RouteParameters {
        var parameters = RouteParameters()
        _ = forEachSegment(path) { index, range in
            if case .parameter(let name) = segments[index] {
                parameters[name] = String(decoding: UnsafeBufferPointer(rebasing: path[range]), as: UTF8.self)
            }
            return true
        }
        return parameters
    }
}
