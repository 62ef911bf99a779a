import COpenSSL
import Foundation
import Testing
@testable import LandingIO

/// Two engines joined in memory: a client and a server, with bytes moved by hand, no socket.
final class TLSPair {
    let server: TLSEngine
    let client: TLSEngine
    let scratch = TLSEngine.Scratch.allocate()
    var serverReceived: [UInt8] = []
    var clientReceived: [UInt8] = []
    var serverOutcome: TLSEngine.Outcome = .ok
    var clientOutcome: TLSEngine.Outcome = .ok

    init(serverContext: TLSContext, clientContext: TLSContext) throws {
        server = try TLSEngine(context: serverContext)
        client = try TLSEngine(context: clientContext, isClient: true)
    }

    deinit { scratch.deallocate() }

    /// Runs the handshake to completion (or failure); returns the number of flights exchanged.
    @discardableResult
    func handshake() -> Int {
        var toServer: [UInt8] = []
        clientOutcome = client.startHandshake(scratch: scratch, outbound: &toServer)
        var flights = 1
        while flights < 20 {
            var toClient: [UInt8] = []
            serverOutcome = toServer.withUnsafeBytes { server.receive($0, scratch: scratch, outbound: &toClient) { serverReceived.append(contentsOf: $0) } }
            toServer = []
            if !toClient.isEmpty { flights += 1 }
            clientOutcome = toClient.withUnsafeBytes { client.receive($0, scratch: scratch, outbound: &toServer) { clientReceived.append(contentsOf: $0) } }
            if toServer.isEmpty && toClient.isEmpty { break }
            if case .failed = serverOutcome { break }
            if case .failed = clientOutcome { break }
        }
        return flights
    }

    /// Sends `bytes` from one side and feeds them to the other; returns what the receiver decrypted.
    func send(_ bytes: [UInt8], fromClient: Bool) -> [UInt8] {
        var wire: [UInt8] = []
        let (sender, receiver) = fromClient ? (client, server) : (server, client)
        _ = bytes.withUnsafeBytes { sender.send($0, scratch: scratch, outbound: &wire) }
        var received: [UInt8] = []
        var back: [UInt8] = []
        _ = wire.withUnsafeBytes { receiver.receive($0, scratch: scratch, outbound: &back) { received.append(contentsOf: $0) } }
        return received
    }
}

/// A self-signed certificate written to a temporary directory, shared by the TLS tests.
enum ServerTestCertificate {
    static let directory: String = {
        let dir = NSTemporaryDirectory() + "landing-tls-\(getpid())-\(UUID().uuidString.prefix(8))"
        try! DevCertificate.write(to: dir)
        return dir
    }()
    static var certificatePath: String { directory + "/server.pem" }
    static var keyPath: String { directory + "/server-key.pem" }
    static func serverContext() throws -> TLSContext {
        try TLSContext(certificateChainPath: certificatePath, privateKeyPath: keyPath)
    }
}

@Suite struct TLSEngineTests {
    /// A client and server engine joined in memory complete a TLS 1.3 handshake and agree on http/1.1.
    @Test func engine_CompletesHandshake_WhenJoinedInMemory() throws {
        let pair = try TLSPair(serverContext: try ServerTestCertificate.serverContext(), clientContext: try TLSContext(testClientOffering: ["h2", "http/1.1"]))
        pair.handshake()
        #expect(pair.server.isHandshakeComplete)
        #expect(pair.client.isHandshakeComplete)
        #expect(pair.server.protocolVersion == "TLSv1.3")
        #expect(pair.server.negotiatedALPN == "http/1.1")
    }

    /// Application data crosses the joined engines intact in both directions, including a large body.
    @Test func engine_TransfersApplicationData_BothWays() throws {
        let pair = try TLSPair(serverContext: try ServerTestCertificate.serverContext(), clientContext: try TLSContext(testClientOffering: ["http/1.1"]))
        pair.handshake()
        let request = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        #expect(pair.send(request, fromClient: true) == request)
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(pair.send(big, fromClient: false) == big)
    }

    /// TLS 1.2 is accepted; the handshake completes with a TLS 1.2 client.
    @Test func engine_AcceptsTLS12() throws {
        let pair = try TLSPair(serverContext: try ServerTestCertificate.serverContext(), clientContext: try TLSContext(testClientOffering: ["http/1.1"], maxVersion: TLS1_2_VERSION))
        pair.handshake()
        #expect(pair.server.isHandshakeComplete)
        #expect(pair.server.protocolVersion == "TLSv1.2")
    }

    /// A client capped at TLS 1.1 is refused, and the failure carries OpenSSL's reason.
    @Test func engine_RefusesTLS11_WithDrainedError() throws {
        let pair = try TLSPair(serverContext: try ServerTestCertificate.serverContext(), clientContext: try TLSContext(testClientOffering: ["http/1.1"], maxVersion: TLS1_1_VERSION))
        pair.handshake()
        #expect(!pair.server.isHandshakeComplete)
        guard case .failed(let error) = pair.serverOutcome else {
            Issue.record("expected the server to fail, got \(String(describing: pair.serverOutcome))")
            return
        }
        #expect(error.openSSLErrors.contains { $0.contains("version") || $0.contains("protocol") })
    }

    /// A client that offers only h2 gets the fatal no_application_protocol alert (RFC 7301 §3.2).
    @Test func engine_RefusesALPNWithoutHTTP11() throws {
        let pair = try TLSPair(serverContext: try ServerTestCertificate.serverContext(), clientContext: try TLSContext(testClientOffering: ["h2"]))
        pair.handshake()
        #expect(!pair.server.isHandshakeComplete)
        if case .failed = pair.serverOutcome {} else { Issue.record("expected failure, got \(String(describing: pair.serverOutcome))") }
    }

    /// A client without ALPN is served (ALPN is optional for HTTP/1.1 clients).
    @Test func engine_AcceptsClientWithoutALPN() throws {
        let pair = try TLSPair(serverContext: try ServerTestCertificate.serverContext(), clientContext: try TLSContext(testClientOffering: []))
        pair.handshake()
        #expect(pair.server.isHandshakeComplete)
        #expect(pair.server.negotiatedALPN == nil)
    }

    /// Garbage instead of a ClientHello fails the handshake instead of hanging or crashing.
    @Test func engine_FailsOnGarbage() throws {
        let server = try TLSEngine(context: try ServerTestCertificate.serverContext())
        let scratch = TLSEngine.Scratch.allocate()
        defer { scratch.deallocate() }
        var out: [UInt8] = []
        let garbage = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let outcome = garbage.withUnsafeBytes { server.receive($0, scratch: scratch, outbound: &out) { _ in } }
        if case .failed = outcome {} else { Issue.record("expected failure, got \(String(describing: outcome))") }
    }

    /// close_notify from the client reads as `.closed` on the server.
    @Test func engine_ReportsClosed_OnCloseNotify() throws {
        let pair = try TLSPair(serverContext: try ServerTestCertificate.serverContext(), clientContext: try TLSContext(testClientOffering: ["http/1.1"]))
        pair.handshake()
        var wire: [UInt8] = []
        pair.client.close(scratch: pair.scratch, outbound: &wire)
        var back: [UInt8] = []
        let outcome = wire.withUnsafeBytes { pair.server.receive($0, scratch: pair.scratch, outbound: &back) { _ in } }
        #expect(outcome == .closed)
    }

    /// Records after the first in one input are all read: a large upload, then data followed by
    /// close_notify in the same bytes (delivered, then `.closed`), then a record split across inputs.
    @Test func engine_ReadsEveryRecordOfOneInput_AndSplitRecords() throws {
        let pair = try TLSPair(serverContext: try ServerTestCertificate.serverContext(), clientContext: try TLSContext(testClientOffering: ["http/1.1"]))
        pair.handshake()
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let bigReceived = pair.send(big, fromClient: true)
        #expect(bigReceived.count == big.count)
        #expect(Bool(bigReceived == big), "the upload arrived changed")

        var wire: [UInt8] = []
        let last = Array("GET /last HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        _ = last.withUnsafeBytes { pair.client.send($0, scratch: pair.scratch, outbound: &wire) }
        pair.client.close(scratch: pair.scratch, outbound: &wire)
        var received: [UInt8] = []
        var back: [UInt8] = []
        let outcome = wire.withUnsafeBytes { pair.server.receive($0, scratch: pair.scratch, outbound: &back) { received.append(contentsOf: $0) } }
        #expect(received == last)
        #expect(outcome == .closed)

        let other = try TLSPair(serverContext: try ServerTestCertificate.serverContext(), clientContext: try TLSContext(testClientOffering: ["http/1.1"]))
        other.handshake()
        var split: [UInt8] = []
        _ = last.withUnsafeBytes { other.client.send($0, scratch: other.scratch, outbound: &split) }
        _ = last.withUnsafeBytes { other.client.send($0, scratch: other.scratch, outbound: &split) }
        var got: [UInt8] = []
        for range in [0..<5, 5..<(split.count - 3), (split.count - 3)..<split.count] {
            let part = Array(split[range])
            let result = part.withUnsafeBytes { other.server.receive($0, scratch: other.scratch, outbound: &back) { got.append(contentsOf: $0) } }
            #expect(result == .ok)
        }
        #expect(got == last + last)
    }

    /// A mismatched certificate and key are refused at load time, naming the key file.
    @Test func context_RejectsMismatchedKey() throws {
        let other = NSTemporaryDirectory() + "landing-tls-other-\(UUID().uuidString.prefix(8))"
        try DevCertificate.write(to: other)
        #expect {
            try TLSContext(certificateChainPath: ServerTestCertificate.certificatePath, privateKeyPath: other + "/server-key.pem")
        } throws: { error in
            "\(error)".contains(other + "/server-key.pem")
        }
    }

    /// A missing certificate file is refused at load time with the path in the message.
    @Test func context_RejectsMissingFile() {
        #expect {
            try TLSContext(certificateChainPath: "/nonexistent/cert.pem", privateKeyPath: ServerTestCertificate.keyPath)
        } throws: { error in
            "\(error)".contains("/nonexistent/cert.pem")
        }
    }
}
