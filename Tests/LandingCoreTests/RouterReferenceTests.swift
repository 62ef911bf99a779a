import Testing
@testable import LandingCore

/// The router that walks the path's bytes in place gives the answers of the earlier one that split
/// the path into an array and bound parameters in a dictionary (kept here as the oracle).
@Suite struct RouterReferenceTests {
    /// The earlier matcher: split on "/", then each pattern segment against each part.
    static func referenceMatch(_ patterns: [(HTTPMethod, String)], method: HTTPMethod, path: String) -> String {
        guard path.hasPrefix("/") else { return "404" }
        let parts = path.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var allowed: [HTTPMethod] = []
        var pathExists = false
        for (routeMethod, pattern) in patterns {
            let segments = pattern.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
            guard segments.count == parts.count else { continue }
            var parameters: [String: String] = [:]
            var bound = true
            for (segment, part) in zip(segments, parts) {
                if segment.hasPrefix("{") && segment.hasSuffix("}") && segment.count > 2 {
                    guard !part.isEmpty else { bound = false; break }
                    parameters[String(segment.dropFirst().dropLast())] = String(Substring(part))
                } else if !segment.utf8.elementsEqual(part) {
                    bound = false
                    break
                }
            }
            guard bound else { continue }
            pathExists = true
            if routeMethod == method || (method == .head && routeMethod == .get) {
                return "found \(pattern) " + parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
            }
            if !allowed.contains(routeMethod) { allowed.append(routeMethod) }
            if routeMethod == .get && !allowed.contains(.head) { allowed.append(.head) }
        }
        return pathExists ? "405 \(allowed)" : "404"
    }

    static func describe(_ match: Router<String>.Match, names: [String]) -> String {
        switch match {
        case .found(_, let parameters, let pattern):
            return "found \(pattern) " + names.sorted().compactMap { name in parameters[name].map { "\(name)=\($0)" } }.joined(separator: "&")
        case .methodNotAllowed(let allowed): return "405 \(allowed)"
        case .notFound: return "404"
        }
    }

    static let patterns: [(HTTPMethod, String)] = [
        (.get, "/"), (.get, "/healthz"), (.get, "/v1/items/{itemId}"), (.delete, "/v1/sessions/{id}"),
        (.get, "/v1/sessions/{id}"), (.post, "/v1/sessions"), (.get, "/a/{x}/b/{y}"), (.post, "/a/{x}/b/{y}"),
        (.get, "/a//c"), (.get, "/oauth/callback"), (.post, "/oauth/callback"), (.put, "/{only}"),
    ]

    /// 20,000 random paths built from the patterns' pieces, slashes and odd bytes: same answer as the oracle.
    @Test func router_MatchesReference_OnRandomPaths() {
        var router = Router<String>()
        for (method, pattern) in Self.patterns { router.add(method, pattern, pattern) }
        let names = ["itemId", "id", "x", "y", "only"]
        let pieces = ["", "a", "b", "c", "v1", "items", "sessions", "healthz", "oauth", "callback", "%2F", "é", "abc%20def", "HEALTHZ", "x"]
        let methods: [HTTPMethod] = [.get, .head, .post, .put, .delete, .patch]
        var rng = SeededGenerator(seed: 12)
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...5, using: &rng)
            var path = count == 0 && Bool.random(using: &rng) ? "*" : ""
            for _ in 0..<count { path += "/" + pieces.randomElement(using: &rng)! }
            if path.isEmpty { path = "/" }
            let method = methods.randomElement(using: &rng)!
            let got = Self.describe(router.match(method: method, path: path), names: names)
            let want = Self.referenceMatch(Self.patterns, method: method, path: path)
            #expect(got == want, "\(method) \(path)")
            if got != want { return }
        }
    }

    /// A route with two parameters binds both, by name, in one match.
    @Test func router_BindsTwoParameters() {
        var router = Router<String>()
        router.add(.get, "/a/{x}/b/{y}", "two")
        guard case .found(_, let p, let pattern) = router.match(method: .get, path: "/a/one/b/two%2F") else {
            Issue.record("no match")
            return
        }
        #expect(pattern == "/a/{x}/b/{y}")
        #expect(p == ["x": "one", "y": "two%2F"])
        #expect(p["z"] == nil)
        #expect(p.count == 2)
    }
}
