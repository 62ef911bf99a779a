import Foundation
import Glibc
import Testing

import LandingCore

/// `--proxy-protocol-from` on the real server: a trusted balancer's PROXY header (v1 from curl,
/// v1 and v2 written by hand before a TLS handshake) names the client for the access log and the
/// per-address limits; anything else from it, and anyone else, gets the connection closed.
@Suite struct EndToEndProxyProtocolTests {
    static let trustLoopback = ["--proxy-protocol-from", "127.0.0.1/32"]

    /// A v1 line for TCP over IPv4 from `source` to the server's port.
    static func v1(_ source: String, to port: UInt16, sourcePort: Int = 40_000) -> [UInt8] {
        Array("PROXY TCP4 \(source) 127.0.0.1 \(sourcePort) \(port)\r\n".utf8)
    }

    /// A v2 PROXY header for TCP over IPv4 (`source` as four bytes) or IPv6 (sixteen), with a NOOP TLV.
    static func v2(_ source: [UInt8], to port: UInt16) -> [UInt8] {
        let destination: [UInt8] = source.count == 4 ? [127, 0, 0, 1] : [UInt8](repeating: 0, count: 15) + [1]
        let body = source + destination + [0x9C, 0x40, UInt8(port >> 8), UInt8(port & 0xFF)] + [0x04, 0x00, 0x02, 0x00, 0x00]
        let family: UInt8 = source.count == 4 ? 0x11 : 0x21
        return ProxyHeaderParser.v2Signature + [0x21, family, 0x00, UInt8(body.count)] + body
    }

    /// A v2 LOCAL header (a balancer's own health check).
    static let v2Local = ProxyHeaderParser.v2Signature + [0x20, 0x00, 0x00, 0x00]

    /// GET `path` over a TLS connection that starts with `prelude` (see `RawTLSClient`), closing after it.
    static func get(_ server: ServerProcess, _ path: String, prelude: [[UInt8]]) throws -> E2EResponse {
        let client = try RawTLSClient(port: server.port, timeout: 5, prelude: prelude)
        defer { client.close() }
        try client.send(Request.get(path, ["Connection: close"]))
        return try client.readResponse()
    }

    /// The `client` of the access-log line of the response's request.
    static func loggedClient(_ server: ServerProcess, _ response: E2EResponse) throws -> String? {
        let id = try #require(response.header("X-Request-Id"))
        #expect(server.waitForStdout(containing: "\"request_id\":\"\(id)\""), "no access line for \(id): \(server.stdoutText)")
        let line = ServerProcess.jsonLines(server.stdoutText).first { $0["type"] as? String == "access" && $0["request_id"] as? String == id }
        return line?["client"] as? String
    }

    /// Whether a connection from the test to the server is closed without a byte answered, within `timeout`.
    static func isClosedWithoutAnswer(_ socket: TestSocket, timeout: Double = 3) -> Bool {
        let (bytes, closed) = socket.readUntilClosed(timeout: timeout)
        return closed && bytes.isEmpty
    }

    static func metric(_ server: ServerProcess, limit: String) throws -> Double? {
        try EndToEndConnectionAttackTests.metric(server, "landing_connections_refused_total{limit=\"\(limit)\"}")
    }

    /// curl's own PROXY v1 line (`--haproxy-protocol`, the real local address) is accepted over TLS.
    @Test func v1_FromCurl_IsServed() throws {
        let server = try ServerProcess(Self.trustLoopback)
        defer { server.stop() }
        let transfer = try Curl.fetch(server.baseURL + "/healthz", ["--haproxy-protocol"])
        #expect(transfer.response.status == 200)
        #expect(try Self.loggedClient(server, transfer.response) == "127.0.0.1")
    }

    /// The header's source address, not the balancer's, is the client in the access log: v1 and
    /// v2, IPv4 and IPv6, the header alone or in one write with the ClientHello, or split in three.
    @Test func header_NamesClientInAccessLog() throws {
        let server = try ServerProcess(Self.trustLoopback)
        defer { server.stop() }
        let v2Split = Self.v2([198, 51, 100, 9], to: server.port)
        let cases: [(prelude: [[UInt8]], client: String)] = [
            ([Self.v1("203.0.113.7", to: server.port)], "203.0.113.7"),
            ([Self.v1("203.0.113.8", to: server.port), []], "203.0.113.8"),
            ([Array("PROXY TCP6 2001:db8::7 ::1 1 443\r\n".utf8)], "2001:db8::7"),
            ([Self.v2([192, 0, 2, 44], to: server.port)], "192.0.2.44"),
            ([Self.v2([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x09], to: server.port), []], "2001:db8::9"),
            ([Array(v2Split[0..<5]), Array(v2Split[5..<20]), Array(v2Split[20...]), []], "198.51.100.9"),
            ([Array("PROX".utf8), Array("Y TCP4 203.0.113.9 127.0.0.1 1 2\r".utf8), Array("\n".utf8)], "203.0.113.9"),
            // LOCAL (a health check) and UNKNOWN keep the balancer's own address.
            ([Self.v2Local], "127.0.0.1"), ([Array("PROXY UNKNOWN\r\n".utf8)], "127.0.0.1"),
        ]
        for (prelude, client) in cases {
            let response = try Self.get(server, "/healthz", prelude: prelude)
            #expect(response.status == 200, "\(client)")
            #expect(try Self.loggedClient(server, response) == client)
        }
    }

    /// The plain --http-listen listener takes PROXY headers too: with one it redirects, without one it closes.
    @Test func plainListener_RequiresHeader() throws {
        let server = try ServerProcess(Self.trustLoopback + ["--http-listen", "127.0.0.1:0"])
        defer { server.stop() }
        let httpPort = try #require(server.httpPort)
        let redirected = try Curl.fetch("http://127.0.0.1:\(httpPort)/healthz", ["--haproxy-protocol"])
        #expect(redirected.response.status == 308)
        let socket = try TestSocket(port: httpPort)
        try socket.send(Self.v1("203.0.113.7", to: httpPort) + Array(Request.get("/x").utf8))
        guard case .data(let bytes) = socket.receive(timeout: 5) else {
            Issue.record("no answer after a PROXY header on the plain listener")
            return
        }
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 308"))
        let bare = try TestSocket(port: httpPort)
        try bare.send(Request.get("/x"))
        #expect(Self.isClosedWithoutAnswer(bare))
    }

    /// The per-address callback limit counts the header's client: two clients behind one balancer get separate budgets.
    @Test func callbackRateLimit_CountsHeaderAddress() throws {
        let server = try ServerProcess(Self.trustLoopback + ["--max-callbacks-per-address-per-minute", "2"])
        defer { server.stop() }
        let id = LandingE2E.uniqueItemId("proxy")
        let first = [Self.v1("203.0.113.7", to: server.port)]
        #expect(try Self.get(server, "/oauth/callback?itemId=\(id)-1", prelude: first).status == 200)
        #expect(try Self.get(server, "/oauth/callback?itemId=\(id)-2", prelude: first).status == 200)
        #expect(try Self.get(server, "/oauth/callback?itemId=\(id)-3", prelude: first).status == 429)
        // Another client of the same balancer (so the same socket peer) still has its budget.
        let second = [Self.v2([203, 0, 113, 8], to: server.port)]
        #expect(try Self.get(server, "/oauth/callback?itemId=\(id)-4", prelude: second).status == 200)
        // The balancer's own address has its own budget too.
        #expect(try Self.get(server, "/oauth/callback?itemId=\(id)-5", prelude: [Self.v2Local]).status == 200)
    }

    /// The per-address connection limit counts the header's client, not the balancer that carries them all.
    @Test func connectionLimit_CountsHeaderAddress() throws {
        let server = try ServerProcess(Self.trustLoopback + ["--max-connections-per-address", "2"] + ServerProcess.metricsListen)
        defer { server.stop() }
        var held: [RawTLSClient] = []
        for _ in 0..<2 { held.append(try RawTLSClient(port: server.port, timeout: 5, prelude: [Self.v1("203.0.113.7", to: server.port)])) }
        // A third connection for the same client is reset once its header is read.
        #expect(throws: (any Error).self) {
            _ = try RawTLSClient(port: server.port, timeout: 5, prelude: [Self.v1("203.0.113.7", to: server.port)])
        }
        // Other clients of the same balancer connect: without the header's address they would all share its 2.
        for n in 0..<3 {
            let other = try RawTLSClient(port: server.port, timeout: 5, prelude: [Self.v1("203.0.113.\(20 + n)", to: server.port)])
            try other.send(Request.get("/healthz"))
            #expect(try other.readResponse().status == 200)
            held.append(other)
        }
        #expect(try Self.metric(server, limit: "max_connections_per_address") == 1)
        held.removeAll()
        // Closing frees the client's slots.
        var reopened = false
        for _ in 0..<50 where !reopened {
            reopened = (try? RawTLSClient(port: server.port, timeout: 5, prelude: [Self.v1("203.0.113.7", to: server.port)])) != nil
            if !reopened { usleep(50_000) }
        }
        #expect(reopened)
    }

    /// From a trusted peer, a connection without a header is closed at its first byte, and a
    /// malformed header is closed too; both are counted, and the server goes on serving.
    @Test func trustedPeer_ClosedWithoutValidHeader() throws {
        let server = try ServerProcess(Self.trustLoopback + ServerProcess.metricsListen)
        defer { server.stop() }
        let start = Date()
        #expect(throws: (any Error).self) { _ = try RawTLSClient(port: server.port, timeout: 5) }
        #expect(Date().timeIntervalSince(start) < 2, "a ClientHello is not a PROXY header: closed at once, not at the header timeout")
        let plainRequest = try TestSocket(port: server.port)
        try plainRequest.send(Request.get("/healthz"))
        #expect(Self.isClosedWithoutAnswer(plainRequest))
        let malformed: [[UInt8]] = [
            Array("PROXY TCP4 203.0.113.7 127.0.0.1 040000 443\r\n".utf8), Array("PROXY TCP4 203.0.113.07 127.0.0.1 1 443\r\n".utf8),
            Array("PROXY TCP4 203.0.113.7 127.0.0.1 1 443\n".utf8), Array("PROXY TCP6 203.0.113.7 127.0.0.1 1 443\r\n".utf8),
            ProxyHeaderParser.v2Signature + [0x31, 0x11, 0x00, 0x0C] + [UInt8](repeating: 1, count: 12),
            ProxyHeaderParser.v2Signature + [0x21, 0x12, 0x00, 0x0C] + [UInt8](repeating: 1, count: 12),
            ProxyHeaderParser.v2Signature + [0x21, 0x11, 0xFF, 0xFF],
        ]
        for header in malformed {
            let socket = try TestSocket(port: server.port)
            try socket.send(header)
            #expect(Self.isClosedWithoutAnswer(socket), "\(header)")
        }
        #expect(try Self.metric(server, limit: "proxy_protocol_invalid") == Double(2 + malformed.count))
        #expect(try Self.get(server, "/healthz", prelude: [Self.v1("203.0.113.7", to: server.port)]).status == 200)
    }

    /// A trusted peer that sends part of a header and stops is closed at the header timeout.
    @Test func trustedPeer_ClosedAtHeaderTimeout_WhenHeaderStalls() throws {
        let server = try ServerProcess(Self.trustLoopback + ["--header-timeout", "1"])
        defer { server.stop() }
        let socket = try TestSocket(port: server.port)
        let start = Date()
        try socket.send("PROXY TCP4 203.0.113.7 ")
        #expect(Self.isClosedWithoutAnswer(socket, timeout: 5))
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed > 0.8 && elapsed < 4, "\(elapsed)")
        // A connection that never sends anything (a TCP health check) ends the same way.
        let silent = try TestSocket(port: server.port)
        #expect(Self.isClosedWithoutAnswer(silent, timeout: 5))
    }

    /// A peer outside --proxy-protocol-from is closed at accept, valid header or not, and counted;
    /// the metrics listener is not governed by the option.
    @Test func untrustedPeer_ClosedAtAccept() throws {
        let server = try ServerProcess(["--proxy-protocol-from", "10.0.0.0/8", "--http-listen", "127.0.0.1:0"] + ServerProcess.metricsListen)
        defer { server.stop() }
        let withHeader = try TestSocket(port: server.port)
        try? withHeader.send(Self.v1("203.0.113.7", to: server.port))
        #expect(Self.isClosedWithoutAnswer(withHeader, timeout: 2))
        #expect(throws: (any Error).self) { _ = try RawTLSClient(port: server.port, timeout: 5) }
        let plain = try TestSocket(port: try #require(server.httpPort))
        #expect(Self.isClosedWithoutAnswer(plain, timeout: 2))
        #expect(!(try Curl.run(["--haproxy-protocol", server.baseURL + "/healthz"]).succeeded))
        #expect(try Self.metric(server, limit: "proxy_protocol_untrusted") == 4)
        #expect(try Self.metric(server, limit: "proxy_protocol_invalid") == 0)
    }

    /// Without the option there is no PROXY parsing: a PROXY line is a bad ClientHello, and the server is fine.
    @Test func withoutOption_ProxyLineFailsTLS() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        #expect(throws: (any Error).self) { _ = try RawTLSClient(port: server.port, timeout: 5, prelude: [Self.v1("203.0.113.7", to: server.port)]) }
        #expect(!(try Curl.run(["--haproxy-protocol", server.baseURL + "/healthz"]).succeeded))
        let response = try Self.get(server, "/healthz", prelude: [])
        #expect(response.status == 200)
        #expect(try Self.loggedClient(server, response) == "127.0.0.1")
    }
}
