import Foundation
import Glibc
import LandingCore
@testable import LandingIO

/// A tiny Pluggy API over HTTPS on 127.0.0.1, for the client's tests: `POST /auth` hands out keys
/// `key-1`, `key-2`… for the expected credentials; `GET /items/{id}` answers the items it holds
/// for a valid `X-API-KEY`. Tests can queue raw answers (429s, malformed or oversized responses,
/// silence) and revoke keys. One thread accepts; each connection gets a thread of its own with
/// blocking sockets and the server-side `TLSEngine`; one request per connection.
final class FakePluggyServer: @unchecked Sendable {  // why: mutable state behind `condition`.
    /// What the server does instead of its normal answer.
    enum Scripted: Sendable {
        /// Sends these bytes as the response.
        case raw([UInt8])
        /// Says nothing for this many seconds, then closes.
        case silence(Double)
    }

    let port: Int
    let clientId = "test-client"
    let clientSecret = "s3cr\"et\\"

    private let listener: Int32
    private let context: TLSContext
    private let condition = NSCondition()
    private var items: [String: String] = [:]
    private var validKeys: Set<String> = []
    private var issued = 0
    private var scriptedAuth: [Scripted] = []
    private var scriptedItems: [Scripted] = []
    private var stopped = false
    private(set) var authRequests = 0
    private(set) var itemRequests = 0
    /// When each item request arrived (`ProcessInfo.systemUptime`, seconds), in order.
    private var itemRequestTimes: [Double] = []
    private var inFlight = 0
    private(set) var maxInFlight = 0
    /// Seconds each item answer is held back (to observe concurrency).
    var itemDelay = 0.0

    /// Starts a server presenting `certificate` (default: the shared test CA's localhost certificate).
    init(certificate: (certificate: String, key: String)? = nil) throws {
        E2EProcessSetup.once
        let pair = try certificate ?? Self.localhostCertificate()
        context = try TLSContext(certificateChainPath: pair.certificate, privateKeyPath: pair.key)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw E2EError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw E2EError("bind/listen: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    /// The localhost certificate (DNS:localhost, IP:127.0.0.1) from the shared CA.
    static func localhostCertificate() throws -> (certificate: String, key: String) {
        try cachedLocalhost.get()
    }
    private static let cachedLocalhost: Result<(certificate: String, key: String), Error> = Result {
        try PluggyTestCA.shared.issue(name: "localhost", subjectAltNames: "DNS:localhost,IP:127.0.0.1")
    }

    /// `https://localhost:PORT`.
    var endpoint: HTTPSEndpoint { HTTPSEndpoint(host: "localhost", port: port) }

    func stop() {
        condition.lock()
        let wasStopped = stopped
        stopped = true
        condition.unlock()
        if !wasStopped {
            // why: shutdown wakes the blocked accept (close alone may not on Linux).
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
    }

    func setItem(_ id: String, json: String) { locked { items[id] = json } }
    func revokeAllKeys() { locked { validKeys.removeAll() } }
    func scriptAuth(_ answers: Scripted...) { locked { scriptedAuth += answers } }
    func scriptItems(_ answers: Scripted...) { locked { scriptedItems += answers } }
    var counts: (auth: Int, items: Int) { locked { (authRequests, itemRequests) } }
    /// Arrival times of the item requests so far (monotonic seconds, `ProcessInfo.systemUptime`).
    var itemRequestArrivals: [Double] { locked { itemRequestTimes } }
    var observedMaxInFlight: Int { locked { maxInFlight } }

    /// A raw response with a Content-Length body.
    static func response(_ status: String, headers: [String] = [], body: String = "") -> Scripted {
        .raw(Array("HTTP/1.1 \(status)\r\n\(headers.map { $0 + "\r\n" }.joined())Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8))
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            let thread = Thread { [self] in serve(fd) }
            thread.start()
        }
    }

    /// Serves one connection: TLS handshake, one request, one answer, close.
    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let engine = try? TLSEngine(context: context) else { return }
        let scratch = TLSEngine.Scratch.allocate()
        defer { scratch.deallocate() }
        var parser = HTTPRequestParser()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            var outbound: [UInt8] = []
            var plaintext: [UInt8] = []
            let outcome = buffer.withUnsafeBytes { raw in
                engine.receive(UnsafeRawBufferPointer(rebasing: raw[0..<n]), scratch: scratch, outbound: &outbound) { plaintext.append(contentsOf: $0) }
            }
            Self.writeAll(fd, outbound)
            guard outcome == .ok else { return }
            parser.feed(plaintext)
            switch parser.next() {
            case .needMore: continue
            case .error: return
            case .request(let request):
                switch answer(request) {
                case .silence(let seconds):
                    Thread.sleep(forTimeInterval: seconds)
                case .raw(let bytes):
                    var out: [UInt8] = []
                    _ = bytes.withUnsafeBytes { engine.send($0, scratch: scratch, outbound: &out) }
                    engine.close(scratch: scratch, outbound: &out)
                    Self.writeAll(fd, out)
                }
                return
            }
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// The answer to `request`: a scripted one if queued, else Pluggy's behaviour.
    private func answer(_ request: HTTPRequest) -> Scripted {
        condition.lock()
        if request.method == .post && request.path == "/auth" {
            authRequests += 1
            if !scriptedAuth.isEmpty {
                defer { condition.unlock() }
                return scriptedAuth.removeFirst()
            }
            let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: String]
            guard body?["clientId"] == clientId, body?["clientSecret"] == clientSecret else {
                condition.unlock()
                return Self.response("401 Unauthorized", body: #"{"message":"Invalid credentials"}"#)
            }
            issued += 1
            let key = "key-\(issued)"
            validKeys.insert(key)
            condition.unlock()
            return Self.response("200 OK", headers: ["Content-Type: application/json"], body: #"{"apiKey":"\#(key)"}"#)
        }
        if request.method == .get && request.path.hasPrefix("/items/") {
            itemRequests += 1
            itemRequestTimes.append(ProcessInfo.processInfo.systemUptime)
            inFlight += 1
            maxInFlight = max(maxInFlight, inFlight)
            let delay = itemDelay
            let scripted = scriptedItems.isEmpty ? nil : scriptedItems.removeFirst()
            let keyValid = request.headers["X-API-KEY"].map { validKeys.contains($0) } ?? false
            let item = items[String(request.path.dropFirst("/items/".count))]
            condition.unlock()
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            locked { inFlight -= 1 }
            if let scripted { return scripted }
            guard keyValid else { return Self.response("401 Unauthorized", body: #"{"message":"Unauthorized"}"#) }
            guard let item else { return Self.response("404 Not Found", body: #"{"message":"Item not found"}"#) }
            return Self.response("200 OK", headers: ["Content-Type: application/json"], body: item)
        }
        condition.unlock()
        return Self.response("404 Not Found")
    }
}
