import CLinux
import Foundation
import Glibc
import LandingCore
import Synchronization

@testable import LandingIO

/// The shell tested like the core: one `EventLoop` + `ServerLoop` with its `Connection`s over
/// socketpairs (TLS through the real `TLSEngine` when asked), driven turn by turn on the test's own
/// thread, with a clock the test moves. No child process, no sleep, no other thread.
final class LoopHarness {
    /// The loop's clock, moved by the test.
    final class ManualClock: Sendable {
        let now = Mutex<Double>(1000)
    }

    let clock = ManualClock()
    let eventLoop: EventLoop
    let loop: ServerLoop
    let config: ServerConfig
    private let application: Application
    private let serverContext: TLSContext?
    private let clientContext: TLSContext?
    let scratch = TLSEngine.Scratch.allocate()

    /// A config with small, round numbers for tests.
    static func config(_ change: (inout ServerConfig) -> Void = { _ in }) -> ServerConfig {
        var config = ServerConfig()
        config.headerTimeout = 10
        config.bodyTimeout = 10
        config.idleTimeout = 60
        config.accessLog = false
        config.logLevel = .error
        change(&config)
        return config
    }

    init(config: ServerConfig = LoopHarness.config(), tls: Bool = false, application: Application) throws {
        self.config = config
        self.application = application
        let clock = self.clock
        eventLoop = try EventLoop(index: 0, clock: { clock.now.withLock { $0 } })
        loop = ServerLoop(eventLoop: eventLoop, shared: ServerShared(config: config, tlsStore: nil, logger: Logger(level: config.logLevel)))
        if tls {
            serverContext = try ServerTestCertificate.serverContext()
            clientContext = try TLSContext(testClientOffering: ["http/1.1"])
        } else {
            serverContext = nil
            clientContext = nil
        }
    }

    deinit {
        loop.closeAll()
        scratch.deallocate()
    }

    /// Opens a connection: the server end is adopted by the loop (as from `peer`), the client end is
    /// returned. `bufferSize` shrinks both socket buffers (to make back-pressure quick).
    func connect(peer: String = "10.0.0.1", bufferSize: Int? = nil, handshake: Bool = true) throws -> HarnessClient {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw E2EError("socketpair failed: errno \(errno)")
        }
        if let bufferSize {
            var size = Int32(bufferSize)
            for fd in fds {
                setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(4))
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(4))
            }
        }
        let serverEngine = try serverContext.map { try TLSEngine(context: $0) }
        let connection = loop.adopt(fd: fds[0], peer: peer, tls: serverEngine, application: application)
        let client = HarnessClient(fd: fds[1], harness: self, engine: try clientContext.map { try TLSEngine(context: $0, isClient: true) }, connection: connection)
        if handshake && clientContext != nil { try client.handshake() }
        return client
    }

    /// One loop turn, without blocking.
    func turn() {
        eventLoop.runOnce(maxWait: 0)
    }

    /// Turns until nothing is left to do (no queued task, several quiet turns).
    func settle(turns: Int = 200) {
        for _ in 0..<turns {
            turn()
        }
    }

    /// Moves the clock and fires due timers.
    func advance(_ seconds: Double) {
        clock.now.withLock { $0 += seconds }
        turn()
    }

    var connectionCount: Int { loop.connectionCount }
}

/// The client end of a harness connection (non-blocking), speaking TLS when the harness does.
final class HarnessClient {
    let fd: Int32
    unowned let harness: LoopHarness
    let engine: TLSEngine?
    /// The server's side, for white-box checks (unsent output, state).
    let connection: Connection?
    /// Plaintext received and not yet taken.
    var received: [UInt8] = []
    /// The server closed (EOF) or reset the connection.
    private(set) var sawEOF = false
    private(set) var sawReset = false
    private(set) var tlsFailed = false
    private var closed = false
    private var unsentWire: [UInt8] = []

    init(fd: Int32, harness: LoopHarness, engine: TLSEngine?, connection: Connection?) {
        self.fd = fd
        self.harness = harness
        self.engine = engine
        self.connection = connection
    }

    deinit { if !closed { Glibc.close(fd) } }

    func handshake() throws {
        guard let engine else { return }
        var out: [UInt8] = []
        _ = engine.startHandshake(scratch: harness.scratch, outbound: &out)
        writeWire(out)
        for _ in 0..<50 where !engine.isHandshakeComplete {
            harness.turn()
            pump()
        }
        guard engine.isHandshakeComplete else { throw E2EError("harness TLS handshake did not complete") }
    }

    /// Sends `bytes` (encrypted when TLS); what the socket does not take now is kept and written by
    /// later `pump`s, in order.
    func send(_ bytes: [UInt8]) {
        if let engine {
            var wire: [UInt8] = []
            _ = bytes.withUnsafeBytes { engine.send($0, scratch: harness.scratch, outbound: &wire) }
            writeWire(wire)
        } else {
            writeWire(bytes)
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Raw bytes on the wire, not through TLS (forged records, garbage).
    func sendRaw(_ bytes: [UInt8]) { writeWire(bytes) }

    /// Bytes this client could not write yet.
    var pendingWire: Int { unsentWire.count }

    private func writeWire(_ bytes: [UInt8]) {
        unsentWire += bytes
        flushWire()
    }

    private func flushWire() {
        guard !closed, !unsentWire.isEmpty else { return }
        let n = unsentWire.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n > 0 { unsentWire.removeFirst(n) }
        if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK { unsentWire = [] }
    }

    /// Reads what the socket holds now (decrypting when TLS) into `received`; flushes pending writes.
    @discardableResult
    func pump() -> Int {
        flushWire()
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !closed {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                total += n
                if let engine {
                    var back: [UInt8] = []
                    let outcome = buffer.withUnsafeBytes {
                        engine.receive(UnsafeRawBufferPointer(rebasing: $0[0..<n]), scratch: harness.scratch, outbound: &back) { received += $0 }
                    }
                    if case .failed = outcome { tlsFailed = true }
                    if !back.isEmpty { writeWire(back) }
                } else {
                    received += buffer[0..<n]
                }
            } else if n == 0 {
                sawEOF = true
                break
            } else {
                if errno == ECONNRESET { sawReset = true }
                break
            }
        }
        return total
    }

    /// Responses parsed so far from `received`, and where parsing resumes.
    private var parsed: [HarnessResponse] = []
    private var parsedOffset = 0

    /// Turns the loop and reads, until `count` complete responses are in `received` or `turns` pass.
    func responses(_ count: Int, turns: Int = 400) -> [HarnessResponse] {
        for _ in 0..<turns {
            parsed += HarnessResponse.parse(received, from: &parsedOffset)
            if parsed.count >= count { break }
            harness.turn()
            pump()
        }
        parsed += HarnessResponse.parse(received, from: &parsedOffset)
        return parsed
    }

    /// Closes gracefully (FIN).
    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    /// Shuts the sending side only.
    func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Closes with unread data left, so the server's next read or write fails with ECONNRESET.
    func reset() {
        guard !closed else { return }
        closed = true
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Glibc.close(fd)
    }
}

/// One HTTP/1.1 response as the harness client reads it.
struct HarnessResponse: Equatable {
    var status: Int
    var headers: [(String, String)]
    var body: String

    static func == (a: HarnessResponse, b: HarnessResponse) -> Bool { a.status == b.status && a.body == b.body }

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

    /// Every complete response at the start of `bytes` (Content-Length framed).
    static func parseAll(_ bytes: [UInt8]) -> [HarnessResponse] {
        var offset = 0
        return parse(bytes, from: &offset)
    }

    /// The complete responses in `bytes` from `offset` on; `offset` moves past them.
    static func parse(_ bytes: [UInt8], from offset: inout Int) -> [HarnessResponse] {
        var out: [HarnessResponse] = []
        var i = offset
        defer { offset = i }
        let crlf2: [UInt8] = [13, 10, 13, 10]
        while i < bytes.count {
            guard let headEnd = find(crlf2, in: bytes, from: i) else { break }
            let head = String(decoding: bytes[i..<headEnd], as: UTF8.self)
            let lines = head.components(separatedBy: "\r\n")
            let status = Int(lines[0].split(separator: " ").dropFirst().first ?? "") ?? 0
            var headers: [(String, String)] = []
            var length = 0
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = String(line[..<colon])
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                headers.append((name, value))
                if name.lowercased() == "content-length" { length = Int(value) ?? 0 }
            }
            let bodyStart = headEnd + 4
            guard bytes.count >= bodyStart + length else { break }
            // The body without the newline `HTTPResponse.text` ends with.
            var body = String(decoding: bytes[bodyStart..<bodyStart + length], as: UTF8.self)
            if body.hasSuffix("\n") { body.removeLast() }
            out.append(HarnessResponse(status: status, headers: headers, body: body))
            i = bodyStart + length
        }
        return out
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var i = from
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0] && Array(bytes[i..<i + needle.count]) == needle { return i }
            i += 1
        }
        return nil
    }
}
