import Foundation
import Testing

/// The header, body, idle and handshake timeouts, configured short, against real connections that
/// stall. Waits are generous (seconds for half-second timeouts); nothing here asserts speed.
@Suite struct EndToEndTimeoutTests {
    /// A head that stops arriving gets 408 with `Connection: close`, then the connection is closed.
    @Test func endToEnd_Answers408_WhenHeadIsTooSlow() throws {
        let server = try ServerProcess(["--header-timeout", "0.5"])
        defer { server.stop() }
        let client = try RawTLSClient(port: server.port)
        try client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
        let response = try client.readResponse(timeout: 5)
        #expect(response.status == 408)
        #expect(response.closesConnection)
        #expect(client.waitForClose(timeout: 5))
    }

    /// A body that stops arriving (3 of 10 announced bytes) gets 408 then the connection is closed.
    @Test func endToEnd_Answers408_WhenBodyIsTooSlow() throws {
        let server = try ServerProcess(["--body-timeout", "0.5"])
        defer { server.stop() }
        let client = try RawTLSClient(port: server.port)
        try client.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
        try client.send("abc")
        let response = try client.readResponse(timeout: 5)
        #expect(response.status == 408)
        #expect(response.closesConnection)
        #expect(client.waitForClose(timeout: 5))
    }

    /// An idle keep-alive connection is closed by the server after --idle-timeout, without a response.
    @Test func endToEnd_ClosesIdleKeepAliveConnection_AfterIdleTimeout() throws {
        let server = try ServerProcess(["--idle-timeout", "0.5"])
        defer { server.stop() }
        let client = try RawTLSClient(port: server.port)
        try client.send(Request.get("/healthz"))
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(!response.closesConnection)
        #expect(client.waitForClose(timeout: 5))
        #expect(client.received.isEmpty, "the idle close sent bytes: \(String(decoding: client.received, as: UTF8.self).debugDescription)")
    }

    /// Control: with the default 60 s idle timeout (and short head/body timeouts) an idle connection stays open.
    @Test func endToEnd_KeepsIdleConnection_WhenIdleTimeoutIsLong() throws {
        let server = try ServerProcess(["--header-timeout", "0.5", "--body-timeout", "0.5"])
        defer { server.stop() }
        let client = try RawTLSClient(port: server.port)
        try client.send(Request.get("/healthz"))
        #expect(try client.readResponse().status == 200)
        #expect(client.staysOpen(for: 1.5))
        try client.send(Request.get("/healthz"))
        #expect(try client.readResponse().status == 200)
    }

    /// A TCP connection that never starts the TLS handshake is closed after the header timeout, with no bytes sent.
    @Test func endToEnd_ClosesConnection_WhenHandshakeNeverStarts() throws {
        let server = try ServerProcess(["--header-timeout", "0.5"])
        defer { server.stop() }
        let socket = try TestSocket(port: server.port)
        let (bytes, closed) = socket.readUntilClosed(timeout: 5)
        #expect(closed)
        #expect(bytes.isEmpty, "the server wrote \(bytes.count) bytes: \(String(decoding: bytes, as: UTF8.self).debugDescription)")
    }

    /// Control for the test above: with a long header timeout the silent connection stays open.
    @Test func endToEnd_KeepsSilentConnection_WhenHeaderTimeoutIsLong() throws {
        let server = try ServerProcess(["--header-timeout", "30"])
        defer { server.stop() }
        let socket = try TestSocket(port: server.port)
        #expect(socket.receive(timeout: 1.5) == .timeout)
    }

    /// A handshake that starts and stalls midway (a partial ClientHello) is closed after the header timeout.
    @Test func endToEnd_ClosesConnection_WhenHandshakeStalls() throws {
        let server = try ServerProcess(["--header-timeout", "0.5"])
        defer { server.stop() }
        let socket = try TestSocket(port: server.port)
        // A TLS handshake record header announcing 512 bytes, then 4 of them.
        try socket.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC])
        let (_, closed) = socket.readUntilClosed(timeout: 5)
        #expect(closed)
    }
}
