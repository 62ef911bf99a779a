import CLinux
import Glibc
import LandingCore

/// A small blocking HTTPS/1.1 client: one request per connection (`Connection: close`), the
/// server's certificate verified for the host against `TLSClientContext`'s trust store, every
/// phase bounded by timeouts and the response bounded by `HTTPResponseParserLimits`. Failures are
/// `HTTPSClientError` values.
///
/// Blocking: call it from a thread of its own (`PluggyClient`'s workers), never from an event loop.
/// The socket is non-blocking underneath, and each wait is a `poll` bounded by the deadline, so
/// nothing waits longer than the timeouts say. Name resolution (`getaddrinfo`) cannot be timed out
/// and is the one exception. The TLS layer is `TLSClientSession`, which does no I/O: bytes move
/// through `send(MSG_NOSIGNAL)` / `recv` here.
public final class HTTPSClient: Sendable {
    /// Timeouts and limits, with documented defaults.
    public struct Configuration: Sendable, Equatable {
        /// Seconds to establish the TCP connection (per address tried, within the total). Default 5.
        public var connectTimeout: Double
        /// Seconds for the whole exchange: connect, handshake, request and response. Default 15.
        public var totalTimeout: Double
        /// Bounds on the response. Default: `HTTPResponseParserLimits.default` (256 KiB body).
        public var limits: HTTPResponseParserLimits

        public init(connectTimeout: Double = 5, totalTimeout: Double = 15, limits: HTTPResponseParserLimits = .default) {
            self.connectTimeout = connectTimeout
            self.totalTimeout = totalTimeout
            self.limits = limits
        }
    }

    public let context: TLSClientContext
    public let configuration: Configuration

    /// A client with its own context trusting `trust` (`.system` in production).
    public convenience init(trust: TLSClientContext.Trust = .system, configuration: Configuration = Configuration()) throws(TLSError) {
        self.init(context: try TLSClientContext(trust: trust), configuration: configuration)
    }

    /// A client sharing `context`.
    public init(context: TLSClientContext, configuration: Configuration = Configuration()) {
        self.context = context
        self.configuration = configuration
    }

    /// Sends `request` to `endpoint` and reads the response. Blocks up to `totalTimeout`.
    public func send(_ request: HTTPClientRequest, to endpoint: HTTPSEndpoint) -> Result<HTTPClientResponse, HTTPSClientError> {
        let deadline = monotonicNow() + configuration.totalTimeout
        do {
            return .success(try exchange(request, endpoint: endpoint, deadline: deadline))
        } catch {
            return .failure(error)
        }
    }

    private func exchange(_ request: HTTPClientRequest, endpoint: HTTPSEndpoint, deadline: Double) throws(HTTPSClientError) -> HTTPClientResponse {
        let socket = try Self.connect(endpoint, connectTimeout: configuration.connectTimeout, deadline: deadline)
        defer { Glibc.close(socket) }
        let session: TLSClientSession
        do {
            session = try TLSClientSession(context: context, host: endpoint.host, hostIsIPAddress: endpoint.hostIsIPAddress)
        } catch {
            throw .tls(error)
        }
        var outbound: [UInt8] = []
        var plaintext: [UInt8] = []

        // Handshake: the first call writes the ClientHello.
        var outcome = session.receive([], outbound: &outbound, plaintext: &plaintext)
        while true {
            // why: flush before judging the outcome, so a fatal alert reaches the server.
            try? Self.flush(&outbound, socket: socket, deadline: deadline, phase: .handshake)
            switch outcome {
            case .failed(let error):
                if let reason = session.verificationFailure { throw .certificate(reason: reason, details: error) }
                throw .tls(error)
            case .closed:
                throw .tls(TLSError(operation: "the server closed the connection during the TLS handshake"))
            case .ok:
                break
            }
            if session.isHandshakeComplete { break }
            guard let input = try Self.readSome(socket: socket, deadline: deadline, phase: .handshake) else {
                throw .tls(TLSError(operation: "the server closed the connection during the TLS handshake"))
            }
            outcome = session.receive(input, outbound: &outbound, plaintext: &plaintext)
        }

        if case .failed(let error) = session.send(request.serialized(host: endpoint.hostField), outbound: &outbound) {
            throw .tls(error)
        }
        try Self.flush(&outbound, socket: socket, deadline: deadline, phase: .request)

        var parser = HTTPResponseParser(limits: configuration.limits, isResponseToHEAD: request.method == .head)
        var closeNotified = false
        while true {
            if !plaintext.isEmpty {
                parser.feed(plaintext)
                plaintext.removeAll(keepingCapacity: true)
            }
            switch parser.next() {
            case .response(let response):
                session.close(outbound: &outbound)
                try? Self.flush(&outbound, socket: socket, deadline: deadline, phase: .response)
                return response
            case .error(let error):
                throw .response(error)
            case .needMore:
                break
            }
            if closeNotified {
                parser.endOfInput()
                continue
            }
            guard let input = try Self.readSome(socket: socket, deadline: deadline, phase: .response) else {
                // TCP closed without close_notify. A body framed by the close could be cut short
                // by anyone on the path (RFC 8446 §6.1 truncation), so it is refused; anything
                // else incomplete is reported by the parser as truncated.
                if parser.bodyEndsAtClose { throw .uncleanClose }
                parser.endOfInput()
                continue
            }
            switch session.receive(input, outbound: &outbound, plaintext: &plaintext) {
            case .ok: break
            case .closed: closeNotified = true
            case .failed(let error): throw .tls(error)
            }
            if !outbound.isEmpty { try? Self.flush(&outbound, socket: socket, deadline: deadline, phase: .response) }
        }
    }

    // MARK: - Sockets

    /// Resolves `endpoint.host` and connects to the first address that accepts, each attempt
    /// bounded by `connectTimeout` and all by `deadline`. Returns a non-blocking socket.
    static func connect(_ endpoint: HTTPSEndpoint, connectTimeout: Double, deadline: Double) throws(HTTPSClientError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | (endpoint.hostIsIPAddress ? AI_NUMERICHOST : 0)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard rc == 0, let first = list else {
            throw .resolve(host: endpoint.host, reason: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(first) }
        var lastError = SystemError(call: "connect", errno: EHOSTUNREACH)
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            let now = monotonicNow()
            guard now < deadline else { throw .timeout(.connect) }
            let attemptDeadline = min(deadline, now + connectTimeout)
            // why: non-blocking from the start (SOCK_NONBLOCK), so connect returns EINPROGRESS and
            // poll bounds the wait; CLOEXEC so a child process never inherits it.
            let fd = Glibc.socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastError = SystemError(call: "socket", errno: errno)
                continue
            }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            // why: EINTR on a non-blocking connect means it goes on asynchronously, like EINPROGRESS.
            guard errno == EINPROGRESS || errno == EINTR else {
                lastError = SystemError(call: "connect", errno: errno)
                Glibc.close(fd)
                continue
            }
            do throws(HTTPSClientError) {
                guard try waitFor(socket: fd, events: Int16(POLLOUT), deadline: attemptDeadline) else {
                    Glibc.close(fd)
                    if attemptDeadline >= deadline { throw HTTPSClientError.timeout(.connect) }
                    lastError = SystemError(call: "connect", errno: ETIMEDOUT)
                    continue
                }
            } catch {
                Glibc.close(fd)
                throw error
            }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            // why: a non-blocking connect's outcome is read with SO_ERROR once the socket is writable.
            if getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length) != 0 { soError = errno }
            if soError == 0 {
                var one: Int32 = 1
                _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return fd
            }
            lastError = SystemError(call: "connect", errno: soError)
            Glibc.close(fd)
        }
        throw .connect(lastError)
    }

    /// Waits until `socket` is ready for `events` or `deadline` passes (false).
    static func waitFor(socket: Int32, events: Int16, deadline: Double) throws(HTTPSClientError) -> Bool {
        while true {
            let remaining = deadline - monotonicNow()
            guard remaining > 0 else { return false }
            var fds = pollfd(fd: socket, events: events, revents: 0)
            let n = poll(&fds, 1, Int32(min(remaining * 1000, Double(Int32.max)).rounded(.up)))
            if n > 0 { return true }
            if n == 0 { continue }  // the loop re-checks the deadline
            if errno == EINTR { continue }
            throw .io(SystemError(call: "poll", errno: errno))
        }
    }

    /// Sends all of `bytes` (and empties it), waiting for the socket as needed.
    static func flush(_ bytes: inout [UInt8], socket: Int32, deadline: Double, phase: HTTPSClientError.Phase) throws(HTTPSClientError) {
        var offset = 0
        defer { bytes.removeAll(keepingCapacity: true) }
        while offset < bytes.count {
            // why: MSG_NOSIGNAL: a peer that went away yields EPIPE, not a process-killing SIGPIPE.
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(SystemError) in
                    try syscall("send") { Glibc.send(socket, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL)) }
                }
            }
            switch result {
            case .failure(let error): throw .io(error)
            case .success(.done(let n)): offset += n
            case .success(.wouldBlock):
                guard try waitFor(socket: socket, events: Int16(POLLOUT), deadline: deadline) else { throw .timeout(phase) }
            }
        }
    }

    /// Reads what is available (waiting for at least one byte); nil at end of stream.
    static func readSome(socket: Int32, deadline: Double, phase: HTTPSClientError.Phase) throws(HTTPSClientError) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let result = buffer.withUnsafeMutableBytes { raw in
                Result { () throws(SystemError) in
                    try syscall("recv") { Glibc.recv(socket, raw.baseAddress, raw.count, 0) }
                }
            }
            switch result {
            case .failure(let error): throw .io(error)
            case .success(.done(0)): return nil
            case .success(.done(let n)): return Array(buffer[0..<n])
            case .success(.wouldBlock):
                guard try waitFor(socket: socket, events: Int16(POLLIN), deadline: deadline) else { throw .timeout(phase) }
            }
        }
    }
}
