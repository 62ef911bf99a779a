import CLinux
import Glibc
import LandingCore

/// One accepted TCP connection (TLS or plain), owned by one event loop and touched only on its
/// thread. Reads until EAGAIN, feeds the TLS engine and the parser, runs the application for each
/// request in order, batches the responses of a read into one TLS write, and closes on errors,
/// timeouts, `Connection: close` or drain. Owns its descriptor.
// why: @unchecked Sendable: confined to its loop thread; other threads reach it only through
// `EventLoop.execute`, which runs the closure on that thread.
final class Connection: EventHandler, @unchecked Sendable {
    let fd: Int32
    let loop: ServerLoop
    private let tls: TLSEngine?
    private let application: Application
    private var parser: HTTPRequestParser
    private(set) var deadline: ConnectionDeadline
    private let peer: String
    /// Ciphertext (or plaintext, without TLS) that the socket has not taken yet.
    private var pendingOutput: [UInt8] = []
    private var pendingOffset = 0
    /// A deferred handler owes the current request's response; parsing pauses until it arrives.
    private var awaitingResponse = false
    /// Bytes may still be waiting in the socket: reading paused for backpressure (edge-triggered epoll
    /// will not tell us again).
    private var readPaused = false
    private var closeAfterFlush = false
    private var sentCloseNotify = false
    private var peerClosed = false
    private(set) var isClosed = false
    private var handshakeCounted = false

    /// Pause reading while this much output waits for the peer.
    private static let maxPendingOutput = 256 * 1024

    init(fd: Int32, peer: String, tls: TLSEngine?, application: Application, loop: ServerLoop, now: Double) {
        self.fd = fd
        self.application = application
        self.peer = peer
        self.tls = tls
        self.loop = loop
        self.parser = HTTPRequestParser(limits: loop.shared.config.limits)
        self.deadline = ConnectionDeadline(timeouts: loop.shared.timeouts, stage: tls == nil ? .idle : .handshake, now: now)
    }

    deinit {
        if !isClosed { Glibc.close(fd) }
    }

    // MARK: - Events

    func handle(events: UInt32) {
        if events & EPOLLOUT.rawValue != 0 && pendingOffset < pendingOutput.count {
            writePending()
            if isClosed { return }
        }
        if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            readable()
        }
    }

    /// Reads what the socket has (edge-triggered), processing each chunk as it arrives so that no
    /// more than one read's worth of unprocessed input is ever buffered.
    private func readable() {
        guard !isClosed else { return }
        let buffer = loop.eventLoop.readBuffer
        var budget = 16
        while !peerClosed {
            if awaitingResponse || closeAfterFlush || pendingOutput.count - pendingOffset > Self.maxPendingOutput
                || loop.plaintextOut.count > Self.maxPendingOutput
            {
                // why: edge-triggered epoll will not report these unread bytes again; resume by hand
                // when the response is sent or the output drains.
                readPaused = !closeAfterFlush
                break
            }
            if budget == 0 {
                // why: fairness; one busy connection must not starve the loop. `flush` resumes it
                // from the loop's task queue, after the other ready connections.
                readPaused = true
                break
            }
            budget -= 1
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 {
                ingest(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                if isClosed { return }
                process()
                // why: a short read means the socket is drained; with EPOLLRDHUP-capable epoll the
                // next arrival raises a new edge, so the extra read that would return EAGAIN is skipped.
                if n < buffer.count { break }
            } else if n == 0 {
                peerClosed = true
            } else {
                let err = errno
                if err == EINTR { continue }
                if err == EAGAIN || err == EWOULDBLOCK { break }
                abort(reason: "read")
                return
            }
        }
        process()
        if peerClosed && !awaitingResponse {
            closeAfterFlush = true
        }
        flush()
    }

    /// Decrypts (when TLS) and feeds the parser.
    private func ingest(_ bytes: UnsafeRawBufferPointer) {
        guard let tls else {
            parser.feed(bytes)
            return
        }
        let wasComplete = tls.isHandshakeComplete
        let outcome = tls.receive(bytes, scratch: loop.tlsScratch, outbound: &loop.cipherOut) { plaintext in
            parser.feed(plaintext)
        }
        if !wasComplete && tls.isHandshakeComplete {
            handshakeCounted = true
            loop.shared.metrics.handshakeSucceeded()
            deadline.enter(.idle, now: monotonicNow())
        }
        switch outcome {
        case .ok:
            break
        case .closed:
            peerClosed = true
        case .failed(let error):
            if !tls.isHandshakeComplete {
                loop.shared.metrics.handshakeFailed()
                loop.shared.log(.debug, "tls handshake failed", ["peer": peer, "error": error.description])
            }
            // Send any alert OpenSSL produced, then close without close_notify.
            sentCloseNotify = true
            closeAfterFlush = true
            flush()
        }
    }

    /// Parses and answers requests until the input runs out or a response must be awaited.
    private func process() {
        while !awaitingResponse && !closeAfterFlush && !isClosed {
            switch parser.next() {
            case .needMore:
                updateStage()
                return
            case .request(let request):
                respond(to: request)
            case .error(let error):
                let meta = RequestMeta(id: loop.nextRequestID(), method: "-", path: "-", route: RequestMetrics.noRoute, headOnly: false, keepAlive: false, start: monotonicNow())
                write(.protocolError(error), meta: meta)
            }
        }
        updateStage()
    }

    private func updateStage() {
        let now = monotonicNow()
        if awaitingResponse {
            deadline.enter(.handling, now: now)
        } else if pendingOffset < pendingOutput.count {
            deadline.enter(.writing, now: now)
        } else if let tls, !tls.isHandshakeComplete {
            deadline.enter(.handshake, now: now)
        } else {
            switch parser.phase {
            case .idle:
                deadline.enter(.idle, now: now)
                parser.releaseIdleMemory()
            case .head: deadline.enter(.head, now: now)
            case .body: deadline.enter(.body, now: now)
            }
        }
    }

    /// What the access log and the serializer need to know about the request being answered.
    struct RequestMeta {
        var id: String
        var method: String
        var path: String
        /// The route pattern that answered (`Application.handleRouted`), or `-`: the metrics label,
        /// never the raw path.
        var route: String
        var headOnly: Bool
        var keepAlive: Bool
        var start: Double
    }

    private func respond(to request: HTTPRequest) {
        let id = loop.nextRequestID()
        let start = monotonicNow()
        let context = RequestContext(requestID: id, remoteAddress: peer, isSecure: tls != nil)
        let (result, route) = application.handleRouted(request, context: context)
        let meta = RequestMeta(
            id: id, method: request.method.description, path: request.path, route: route, headOnly: request.method == .head,
            keepAlive: request.wantsKeepAlive && !loop.shared.isDraining, start: start)
        switch result {
        case .response(let response):
            write(response, meta: meta)
        case .deferred(let work):
            awaitingResponse = true
            let eventLoop = loop.eventLoop
            work { [self] build in
                eventLoop.execute { [self] in
                    self.completeDeferred(build(), meta: meta)
                }
            }
        }
    }

    private func completeDeferred(_ response: HTTPResponse, meta: RequestMeta) {
        awaitingResponse = false
        guard !isClosed else { return }
        write(response, meta: meta)
        process()
        if peerClosed { closeAfterFlush = true }
        flush()
    }

    /// Serializes a response into the loop's batch and logs it.
    private func write(_ response: HTTPResponse, meta: RequestMeta) {
        var response = response
        response.headers.add(name: "X-Request-Id", value: meta.id)
        if tls != nil && !response.headers.contains("Strict-Transport-Security") {
            response.headers.add(name: "Strict-Transport-Security", value: "max-age=31536000")
        }
        let keepAlive = meta.keepAlive && !response.closeConnection && !loop.shared.isDraining
        HTTPResponseSerializer.serialize(response, headOnly: meta.headOnly, keepAlive: keepAlive, date: loop.httpDate(), into: &loop.plaintextOut)
        if !keepAlive { closeAfterFlush = true }
        loop.requestMetrics.record(
            route: meta.route, method: RequestMetrics.methodLabel(meta.method), status: response.status.code,
            seconds: monotonicNow() - meta.start)
        loop.accessLog(meta: meta, status: response.status.code, bytes: meta.headOnly ? 0 : response.body.count)
    }

    // MARK: - Output

    /// Encrypts the batch, writes what the socket takes, keeps the rest, and closes when done.
    private func flush() {
        guard !isClosed else {
            loop.plaintextOut.removeAll(keepingCapacity: true)
            loop.cipherOut.removeAll(keepingCapacity: true)
            return
        }
        if !loop.plaintextOut.isEmpty {
            if let tls {
                let outcome = loop.plaintextOut.withUnsafeBytes { tls.send($0, scratch: loop.tlsScratch, outbound: &loop.cipherOut) }
                if case .failed = outcome {
                    loop.plaintextOut.removeAll(keepingCapacity: true)
                    abort(reason: "SSL_write")
                    return
                }
            } else {
                loop.cipherOut.append(contentsOf: loop.plaintextOut)
            }
            loop.plaintextOut.removeAll(keepingCapacity: true)
        }
        if closeAfterFlush, let tls, !sentCloseNotify {
            sentCloseNotify = true
            tls.close(scratch: loop.tlsScratch, outbound: &loop.cipherOut)
        }
        if !loop.cipherOut.isEmpty {
            if pendingOffset >= pendingOutput.count {
                let written = loop.cipherOut.withUnsafeBytes { send(all: $0) }
                guard let written else {
                    loop.cipherOut.removeAll(keepingCapacity: true)
                    abort(reason: "write")
                    return
                }
                if written < loop.cipherOut.count {
                    pendingOutput = Array(loop.cipherOut[written...])
                    pendingOffset = 0
                }
            } else {
                pendingOutput.append(contentsOf: loop.cipherOut)
            }
            loop.cipherOut.removeAll(keepingCapacity: true)
        }
        if pendingOffset < pendingOutput.count {
            writePending()
            return
        }
        if closeAfterFlush {
            close()
        } else {
            updateStage()
            resumeReadingIfPaused()
        }
    }

    /// Reading paused (a response was owed, output backed up, or the read budget ran out) and the
    /// reason is gone: read again from the task queue, since edge-triggered epoll will not remind us.
    private func resumeReadingIfPaused() {
        guard readPaused, !awaitingResponse, !closeAfterFlush, !isClosed, pendingOffset >= pendingOutput.count else { return }
        readPaused = false
        loop.eventLoop.execute { [self] in self.readable() }
    }

    private func writePending() {
        let written = pendingOutput.withUnsafeBytes { send(all: UnsafeRawBufferPointer(rebasing: $0[pendingOffset...])) }
        guard let written else {
            abort(reason: "write")
            return
        }
        if written > 0 { deadline.touch(now: monotonicNow()) }
        pendingOffset += written
        if pendingOffset >= pendingOutput.count {
            pendingOutput = []
            pendingOffset = 0
            if closeAfterFlush {
                close()
                return
            }
        }
        updateStage()
        resumeReadingIfPaused()
    }

    /// Writes as much as the socket takes; nil on a fatal error.
    private func send(all bytes: UnsafeRawBufferPointer) -> Int? {
        var offset = 0
        while offset < bytes.count {
            // why: MSG_NOSIGNAL, so a peer that went away yields EPIPE instead of killing the process.
            let n = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n >= 0 {
                offset += n
            } else {
                let err = errno
                if err == EINTR { continue }
                if err == EAGAIN || err == EWOULDBLOCK { break }
                return nil
            }
        }
        return offset
    }

    // MARK: - Lifecycle

    /// Called by the loop's sweep.
    func checkDeadline(now: Double) {
        switch deadline.expiry(now: now) {
        case .none:
            return
        case .close:
            loop.shared.log(.debug, "connection timed out", ["peer": peer, "stage": "\(deadline.stage)"])
            if case .writing = deadline.stage { abort(reason: "write timeout") } else { closeAfterFlush = true; flush() }
        case .requestTimeout:
            let meta = RequestMeta(id: loop.nextRequestID(), method: "-", path: "-", route: RequestMetrics.noRoute, headOnly: false, keepAlive: false, start: now)
            write(.text(.requestTimeout, "408 Request Timeout: the request did not arrive in time.", closeConnection: true), meta: meta)
            flush()
        }
    }

    /// Shutdown has begun: close now if idle, otherwise after the current response.
    func drain() {
        guard !isClosed else { return }
        if !awaitingResponse && parser.phase == .idle && pendingOffset >= pendingOutput.count {
            closeAfterFlush = true
            flush()
        }
    }

    /// Closes without sending anything more.
    private func abort(reason: String) {
        closeAfterFlush = true
        pendingOutput = []
        pendingOffset = 0
        close()
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        loop.eventLoop.deregister(fd: fd)
        Glibc.close(fd)
        loop.connectionClosed(self)
    }
}
