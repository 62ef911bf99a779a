import Testing
@testable import LandingCore

/// `wantsKeepAlive`, which matches `Connection` options in place, answers as the earlier version
/// that split, trimmed and lowercased them (kept here as the oracle).
@Suite struct HTTPRequestKeepAliveTests {
    static func reference(_ request: HTTPRequest) -> Bool {
        let options = request.headers.values("Connection").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingASCIIWhitespace().lowercased() }
        if options.contains("close") { return false }
        if request.version == .http1_1 { return true }
        return options.contains("keep-alive")
    }

    /// 20,000 random requests (HTTP/1.0 and 1.1, zero to three Connection fields of random options,
    /// case, commas and whitespace, other fields between): same answer as the oracle.
    @Test func wantsKeepAlive_MatchesReference() {
        let pieces = ["close", "Close", "CLOSE", "keep-alive", "Keep-Alive", "upgrade", "", " ", "\t", ",", " , ", "closed", "keep-alive2", "x-close"]
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<20_000 {
            var fields: [(String, String)] = [("Host", "x")]
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                var value = ""
                for _ in 0..<Int.random(in: 0...4, using: &rng) { value += pieces.randomElement(using: &rng)! }
                fields.append((Bool.random(using: &rng) ? "Connection" : "connection", value))
                if Bool.random(using: &rng) { fields.append(("Accept", "close")) }
            }
            let version: HTTPVersion = Bool.random(using: &rng) ? .http1_1 : .http1_0
            let request = HTTPRequest(method: .get, target: "/", path: "/", query: nil, version: version, headers: HTTPHeaders(fields))
            #expect(request.wantsKeepAlive == Self.reference(request), "\(version) \(fields)")
            if request.wantsKeepAlive != Self.reference(request) { return }
        }
    }
}
