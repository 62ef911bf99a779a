import Foundation
import Glibc

@testable import LandingIO

/// An in-process TLS client over a blocking `TestSocket`, for byte-precise tests: each `send` is
/// one `SSL_write` and one socket write, so split heads, trickles and pipelined batches reach the
/// server exactly as written. The client side of `TLSEngine` (the test hook `isClient:`) does the TLS.
final class RawTLSClient {
    let socket: TestSocket
    private(set) var engine: TLSEngine?
    private let scratch: TLSEngine.Scratch
    private let ownsScratch: Bool
    /// Decrypted bytes not yet taken by `readResponse`.
    private(set) var received: [UInt8] = []
    /// The server sent close_notify.
    private(set) var receivedCloseNotify = false
    /// The TCP connection ended (FIN or reset).
    private(set) var isClosed = false

    /// Connects to 127.0.0.1:`port` and completes a handshake offering `alpn`.
    /// - Parameters:
    ///   - scratch: borrowed TLS scratch (many clients on one thread can share one); it must stay
    ///     allocated for as long as this client sends or reads (or call `releaseEngine()` before it
    ///     is freed). nil allocates one owned by this client.
    ///   - prelude: plaintext writes before TLS, as a load balancer sends a PROXY header: each but
    ///     the last is one socket write followed by a short pause (so the server reads them
    ///     separately); the last goes in the same write as the ClientHello.
    init(
        port: UInt16, alpn: [String] = ["http/1.1"], timeout: Double = 10, scratch: TLSEngine.Scratch? = nil,
        prelude: [[UInt8]] = []
    ) throws {
        socket = try TestSocket(port: port)
        if let scratch {
            self.scratch = scratch
            ownsScratch = false
        } else {
            self.scratch = .allocate()
            ownsScratch = true
        }
        let engine: TLSEngine
        do {
            engine = try TLSEngine(context: try Self.clientContext(alpn: alpn), isClient: true)
        } catch {
            throw E2EError("cannot create a client TLS engine: \(error)")
        }
        self.engine = engine
        for chunk in prelude.dropLast() {
            try socket.send(chunk)
            usleep(50_000)
        }
        var outbound: [UInt8] = prelude.last ?? []
        var outcome = engine.startHandshake(scratch: self.scratch, outbound: &outbound)
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            if !outbound.isEmpty { try socket.send(outbound) }
            outbound = []
            if case .failed(let error) = outcome { throw E2EError("TLS handshake failed: \(error)") }
            if engine.isHandshakeComplete { break }
            switch socket.receive(timeout: max(0, deadline.timeIntervalSinceNow)) {
            case .data(let bytes):
                outcome = bytes.withUnsafeBytes { engine.receive($0, scratch: self.scratch, outbound: &outbound) { self.received += $0 } }
            case .closed:
                isClosed = true
                throw E2EError("the server closed the connection during the TLS handshake")
            case .timeout:
                throw E2EError("the TLS handshake did not complete within \(timeout) s")
            }
        }
    }

    deinit {
        if ownsScratch { scratch.deallocate() }
    }

    /// One client context per ALPN list, shared by every client (contexts are immutable).
    private static let contexts = LockedContexts()

    private static func clientContext(alpn: [String]) throws -> TLSContext {
        try contexts.context(for: alpn)
    }

    /// The negotiated protocol version ("TLSv1.3"...).
    var protocolVersion: String? { engine?.protocolVersion }
    /// The protocol ALPN selected, if any.
    var negotiatedALPN: String? { engine?.negotiatedALPN }

    /// Encrypts `bytes` with one `SSL_write` and writes the records with one socket write.
    func send(_ bytes: [UInt8]) throws {
        guard let engine else { throw E2EError("the client TLS engine was released") }
        var outbound: [UInt8] = []
        let outcome = bytes.withUnsafeBytes { engine.send($0, scratch: scratch, outbound: &outbound) }
        if case .failed(let error) = outcome { throw E2EError("SSL_write failed: \(error)") }
        try socket.send(outbound)
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Waits up to `timeout` seconds for ciphertext, decrypts it into `received`. Returns false when
    /// nothing arrived (timeout) or the connection has ended.
    @discardableResult
    func pump(timeout: Double) -> Bool {
        guard !isClosed, let engine else { return false }
        switch socket.receive(timeout: timeout) {
        case .data(let bytes):
            var outbound: [UInt8] = []
            let outcome = bytes.withUnsafeBytes { engine.receive($0, scratch: scratch, outbound: &outbound) { self.received += $0 } }
            switch outcome {
            case .ok: break
            case .closed: receivedCloseNotify = true
            case .failed: isClosed = true
            }
            if !outbound.isEmpty { try? socket.send(outbound) }
            return true
        case .closed:
            isClosed = true
            return false
        case .timeout:
            return false
        }
    }

    /// Takes one whole response from what has been received so far, without reading; nil if none is complete.
    func takeBufferedResponse(headOnly: Bool = false) -> E2EResponse? {
        E2EResponse.take(from: &received, headOnly: headOnly)
    }

    /// Reads until one whole response is in (or `timeout` passes, or the connection ends), and takes it.
    func readResponse(timeout: Double = 10, headOnly: Bool = false) throws -> E2EResponse {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            if let response = E2EResponse.take(from: &received, headOnly: headOnly) { return response }
            if isClosed || deadline.timeIntervalSinceNow <= 0 {
                throw E2EError("no complete response \(isClosed ? "before the connection closed" : "within \(timeout) s"); received: \(String(decoding: received, as: UTF8.self).debugDescription)")
            }
            pump(timeout: max(0, deadline.timeIntervalSinceNow))
        }
    }

    /// Reads (keeping any plaintext in `received`) until the TCP connection ends; returns whether it
    /// ended within `timeout` seconds.
    func waitForClose(timeout: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while !isClosed && deadline.timeIntervalSinceNow > 0 {
            pump(timeout: max(0, deadline.timeIntervalSinceNow))
        }
        return isClosed
    }

    /// Whether the connection is still open after `seconds`: nothing but (possibly) session tickets
    /// arrives and the server does not close it.
    func staysOpen(for seconds: Double) -> Bool {
        !waitForClose(timeout: seconds)
    }

    /// Drops the TLS state (the socket stays open): lets tests hold thousands of established
    /// connections without thousands of client `SSL` objects and their buffers.
    func releaseEngine() { engine = nil }

    func close(reset: Bool = false) { socket.close(reset: reset) }
}

/// Client `TLSContext`s by ALPN list.
final class LockedContexts: @unchecked Sendable {  // why: state behind `lock`.
    private let lock = NSLock()
    private var contexts: [[String]: TLSContext] = [:]

    func context(for alpn: [String]) throws -> TLSContext {
        lock.lock()
        defer { lock.unlock() }
        if let context = contexts[alpn] { return context }
        let context = try TLSContext(testClientOffering: alpn)
        contexts[alpn] = context
        return context
    }
}

/// Request text helpers.
enum Request {
    /// "GET `path` HTTP/1.1" with Host and any `extra` header lines, ending with the blank line.
    static func get(_ path: String, _ extra: [String] = [], method: String = "GET") -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n" + extra.map { $0 + "\r\n" }.joined() + "\r\n"
    }
}
