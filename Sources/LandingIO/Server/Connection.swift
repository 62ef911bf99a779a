import CLinux
import Glibc
import LandingCore

/// One accepted TCP connection (TLS or plain), owned by one event loop and touched only on its
/// thread: the thin driver of a `ConnectionStateMachine`. It moves bytes between the socket, the TLS
/// engine and the parser, runs the application for each request in order, and performs the actions
/// the state machine decides (read, resume, finish, linger, close, cancel, time out). It owns its
/// descriptor and its unsent output; the loop's scratch is only lent to it for one dispatch.
// why: @unchecked Sendable: confined to its loop thread (checked in debug builds by
// `EventLoop.assertOnLoop`); other threads reach it only through `EventLoop.execute`.
final class Connection: EventHandler, @unchecked Sendable {
    let fd: Int32
    /// Unique on its loop: timers and late completions check it, since descriptor numbers are reused.
    let id: UInt64
    let loop: ServerLoop
    private let tls: TLSEngine?
    private let application: Application
    private var parser: HTTPRequestParser
    private(set) var machine: ConnectionStateMachine
    /// The client's address: the socket's peer, or the one a trusted balancer's PROXY header named.
    private(set) var peer: String
    /// Reads the PROXY protocol header while one is expected (a trusted balancer's connection).
    private var proxyParser: ProxyHeaderBox?
    /// The open-connection counts this connection is in (nil: none, as in some tests), released
    /// once when it closes.
    private let admission: ConnectionAdmission?
    /// The address `admission` counts this connection under; nil: the total only (a balancer's
    /// connection until its PROXY header names the client).
    private var countedAs: String?
    /// Ciphertext (or plaintext, without TLS) that the socket has not taken yet: this connection's own.
    private var pending: [UInt8] = []
    private var pendingOffset = 0
    /// The owed response's request number and lifetime (cancelled when the client leaves).
    private var requestNumber: UInt64 = 0
    private var owed: (request: UInt64, lifetime: RequestLifetime, meta: RequestMeta)?
    /// The last read found the socket empty (EAGAIN or a short read) and epoll has reported no
    /// input since: reading again now would only return EAGAIN.
    private var socketDrained = false
    /// The deadline of this connection's entry in the loop's timer heap (`ServerLoop.armTimer`).
    var armedDeadline: Double?

    var isClosed: Bool { !fdOpen }
    /// Output the socket has not taken yet (tests, and the bound they check).
    var unsentBytes: Int { pending.count - pendingOffset }
    /// Input received and not yet taken by a request (tests).
    var bufferedInputBytes: Int { parser.bufferedByteCount }
    private var fdOpen = true

    /// - Parameters:
    ///   - admission: the counts `countedAs` was admitted into (released when the connection closes).
    ///   - expectsProxyHeader: the peer is a trusted balancer; its PROXY header comes first.
    init(
        fd: Int32, id: UInt64, peer: String, tls: TLSEngine?, application: Application, loop: ServerLoop, now: Double,
        admission: ConnectionAdmission? = nil, countedAs: String? = nil, expectsProxyHeader: Bool = false
    ) {
        self.fd = fd
        self.id = id
        self.application = application
        self.peer = peer
        self.tls = tls
        self.loop = loop
        self.admission = admission
        self.countedAs = countedAs
        self.proxyParser = expectsProxyHeader ? ProxyHeaderBox() : nil
        self.parser = HTTPRequestParser(limits: loop.shared.config.limits)
        self.machine = ConnectionStateMachine(
            timeouts: loop.shared.timeouts, limits: loop.shared.connectionLimits, usesTLS: tls != nil,
            expectsProxyHeader: expectsProxyHeader, now: now)
    }

    deinit {
        if fdOpen { Glibc.close(fd) }
    }

    // MARK: - Entry points (each one dispatch with the loop's scratch)

    func handle(events: UInt32) {
        loop.dispatch {
            machine.turnStarted()
            // why: edge-triggered, every arrival after the socket was drained raises an event.
            if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
                socketDrained = false
            }
            if events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
                perform(machine.peerHungUp(fatal: true))
                return
            }
            if events & EPOLLOUT.rawValue != 0 && pendingOffset < pending.count {
                writePending()
            }
            if events & EPOLLIN.rawValue != 0 && !isClosed {
                perform(machine.inputArrived())
            }
            // why: after the read, so bytes that came before the FIN are read first; a peer that
            // left while its response is owed is noticed here even though nothing is read then.
            if events & EPOLLRDHUP.rawValue != 0 && !isClosed {
                perform(machine.peerHungUp(fatal: false))
            }
            finishDispatch()
        }
    }

    /// From the task queue: parse what is buffered, then read what the socket holds.
    private func resume() {
        guard !isClosed else { return }
        loop.dispatch {
            machine.turnStarted()
            if case .open = machine.state, process() == .drained, machine.mayRead {
                readable()
            }
            finishDispatch()
        }
    }

    func timerFired(now: Double) {
        guard !isClosed else { return }
        loop.dispatch {
            perform(machine.timerFired(now: now))
            finishDispatch()
        }
    }

    /// Shutdown has begun: close now if idle, otherwise after the current response.
    func drain() {
        guard !isClosed else { return }
        loop.dispatch {
            perform(machine.drain())
            finishDispatch()
        }
    }

    /// Closes at once (grace period over), cancelling owed work.
    func forceClose() {
        guard !isClosed else { return }
        loop.dispatch {
            owed?.lifetime.cancel()
            closeNow()
        }
    }

    /// Arms the loop timer for the machine's deadline.
    func armTimer() {
        guard !isClosed, let deadline = machine.deadline else { return }
        loop.armTimer(self, at: deadline)
    }

    private func finishDispatch() {
        guard !isClosed else { return }
        if !loop.plaintextOut.isEmpty || !loop.cipherOut.isEmpty { flush() }
        armTimer()
    }

    // MARK: - Actions

    private func perform(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .read:
            readable()
        case .scheduleResume:
            loop.eventLoop.execute { [self] in self.resume() }
        case .finishOutput:
            flush(closeNotify: true)
        case .startLingering:
            // why: shut only the write side, so the peer gets our FIN after the response while we
            // keep reading (and discarding) what it still sends; closing with unread input would
            // make the kernel send a reset that can destroy the response before the peer reads it.
            Glibc.shutdown(fd, Int32(SHUT_WR))
            readable()
        case .close:
            closeNow()
        case .cancelAndClose:
            owed?.lifetime.cancel()
            closeNow()
        case .requestTimedOut:
            let meta = RequestMeta(id: loop.nextRequestID(), method: "-", path: "-", route: RequestMetrics.noRoute, headOnly: false, keepAlive: false, start: loop.now, userAgent: nil)
            write(.text(.requestTimeout, "408 Request Timeout: the request did not arrive in time.", closeConnection: true), meta: meta)
        case .fireRequestTimer:
            owed?.lifetime.fireTimer()
        case .handlerTimedOut:
            guard let owed else { return }
            owed.lifetime.cancel()
            loop.shared.log(.warning, "handler missed its deadline", ["request_id": owed.meta.id, "route": owed.meta.route])
            var response = HTTPResponse.text(.serviceUnavailable, "503 Service Unavailable: the server could not answer in time; try again.", closeConnection: true)
            response.headers.add(name: "Retry-After", value: "5")
            write(response, meta: owed.meta)
        }
    }

    // MARK: - Input

    /// Reads what the socket has (edge-triggered) while the machine allows it, processing each chunk
    /// as it arrives so that at most one read's worth of unprocessed input is buffered.
    private func readable() {
        let buffer = loop.eventLoop.readBuffer
        var budget = 16
        while !isClosed {
            guard machine.mayRead else {
                perform(machine.readStopped(.paused))
                return
            }
            if budget == 0 {
                // why: fairness; one busy connection must not starve the loop. The machine resumes
                // it from the task queue, after the other ready connections.
                perform(machine.readStopped(.budgetExhausted))
                return
            }
            budget -= 1
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 {
                socketDrained = n < buffer.count
                if case .lingering = machine.state {
                    perform(machine.discarded(n))
                    continue
                }
                let tlsClosed = ingest(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                if isClosed { return }
                switch process() {
                case .drained:
                    break
                case .stopped:
                    // Input stays in the parser and the socket until the output drains.
                    perform(machine.readStopped(.paused))
                    flush()
                    return
                case .yielded:
                    return
                }
                if tlsClosed {
                    perform(machine.readStopped(.endOfInput))
                    return
                }
                // why: a short read means the socket is drained; the next arrival raises a new edge.
                if n < buffer.count {
                    perform(machine.readStopped(.drained))
                    return
                }
            } else if n == 0 {
                perform(machine.readStopped(.endOfInput))
                return
            } else {
                let err = errno
                if err == EINTR { continue }
                if err == EAGAIN || err == EWOULDBLOCK {
                    socketDrained = true
                    perform(machine.readStopped(.drained))
                    return
                }
                perform(machine.readStopped(.failed))
                return
            }
        }
    }

    /// Reads the PROXY header first while one is expected, then decrypts (when TLS) and feeds the
    /// parser; true when the peer sent close_notify (the requests before it are answered first).
    private func ingest(_ input: UnsafeRawBufferPointer) -> Bool {
        var bytes = input
        if proxyParser != nil {
            guard let rest = takeProxyHeader(bytes), !rest.isEmpty else { return false }
            // why: what followed the header in the same read (a ClientHello, a request) is the
            // protocol's first bytes; it is processed now, as if just read.
            bytes = rest
        }
        guard let tls else {
            parser.feed(bytes)
            return false
        }
        let wasComplete = tls.isHandshakeComplete
        let outcome = tls.receive(bytes, scratch: loop.tlsScratch, outbound: &loop.cipherOut) { plaintext in
            parser.feed(plaintext)
        }
        if !wasComplete && tls.isHandshakeComplete {
            loop.shared.metrics.handshakeSucceeded()
            machine.handshakeCompleted(now: loop.now)
        }
        switch outcome {
        case .ok:
            return false
        case .closed:
            return true
        case .failed(let error):
            if !tls.isHandshakeComplete {
                loop.shared.metrics.handshakeFailed()
                loop.shared.log(.debug, "tls handshake failed", ["peer": peer, "error": error.description])
            }
            // Send any alert OpenSSL produced, then close without close_notify.
            perform(machine.tlsFailed())
            flush()
            return false
        }
    }

    /// Feeds the PROXY header parser; the bytes after the header once it is complete (possibly
    /// none), nil while it is not or when the connection was closed.
    private func takeProxyHeader(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let proxy = proxyParser else { return bytes }
        let outcome = proxy.parser.feed(bytes)
        switch outcome {
        case .needMore:
            return nil
        case .error(let error):
            loop.shared.log(.debug, "proxy protocol header refused", ["peer": peer, "error": error.description])
            reset(reason: "proxy_protocol_invalid")
            return nil
        case .header(let header, let consumed):
            proxyParser = nil
            // §2.1 UNKNOWN, §2.2 LOCAL: the balancer's own connection (a health check) keeps its address.
            let client = header.source?.address.description ?? peer
            if let admission {
                guard admission.attribute(client) == .admitted else {
                    reset(reason: "max_connections_per_address")
                    return nil
                }
                countedAs = client
            }
            peer = client
            machine.proxyHeaderReceived(now: loop.now)
            return UnsafeRawBufferPointer(rebasing: bytes[consumed...])
        }
    }

    /// How `process` ended.
    private enum ProcessEnd {
        /// The parser needs more input.
        case drained
        /// Back-pressure, an owed response or closing stopped it; input stays buffered.
        case stopped
        /// The per-turn budget ran out; resumed from the task queue.
        case yielded
    }

    /// Takes requests from the parser while the machine allows, answering each in order.
    @discardableResult
    private func process() -> ProcessEnd {
        var took = false
        defer {
            machine.parserPhaseChanged(parser.phase, requestCompleted: took, now: loop.now)
            // An idle connection, or one whose request waits for its answer (a long-poll), holds
            // no parser buffer: ten thousand waiting long-polls keep ~2 MB less.
            parser.releaseIdleMemory()
        }
        while !isClosed {
            switch machine.mayTakeRequest(batchBytes: loop.plaintextOut.count) {
            case .stop:
                return .stopped
            case .yield:
                perform(.scheduleResume)
                return .yielded
            case .take:
                // The loop's budget for this turn is spent: continue next turn, after the others.
                guard loop.requestBudget > 0 else {
                    perform(.scheduleResume)
                    return .yielded
                }
            }
            switch parser.next() {
            case .needMore:
                return .drained
            case .request(let request):
                machine.requestTaken()
                loop.requestBudget -= 1
                took = true
                respond(to: request)
            case .error(let error):
                machine.requestTaken()
                loop.requestBudget -= 1
                took = true
                let meta = RequestMeta(id: loop.nextRequestID(), method: "-", path: "-", route: RequestMetrics.noRoute, headOnly: false, keepAlive: false, start: loop.now, userAgent: nil)
                write(.protocolError(error), meta: meta)
            }
            // why: encrypt and hand over a large batch now, so back-pressure sees what the socket
            // has not taken rather than what merely waits in the scratch.
            if loop.plaintextOut.count >= 16 * 1024 { flush() }
        }
        return .stopped
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
        /// The request's first `User-Agent` (the access log cuts it to `AccessLogEntry.maxUserAgentBytes`).
        var userAgent: String?
    }

    private func respond(to request: HTTPRequest) {
        // The caller's X-Request-Id when it is a sane token, else ours: from here on the one id of
        // this request (context, support log lines, access log, response header).
        let id = RequestID.honoured(request.headers) ?? loop.nextRequestID()
        let start = loop.now
        let lifetime = RequestLifetime()
        let context = RequestContext(requestID: id, remoteAddress: peer, isSecure: tls != nil, lifetime: lifetime)
        let (result, route) = application.handleRouted(request, context: context)
        let meta = RequestMeta(
            id: id, method: request.method.description, path: request.path, route: route, headOnly: request.method == .head,
            keepAlive: request.wantsKeepAlive, start: start, userAgent: request.headers["User-Agent"])
        switch result {
        case .response(let response):
            write(response, meta: meta)
        case .deferred(let work):
            requestNumber &+= 1
            let number = requestNumber
            owed = (number, lifetime, meta)
            machine.responseDeferred(request: number, timerAfter: lifetime.timerDelay, now: start)
            let eventLoop = loop.eventLoop
            work { [self] build in
                eventLoop.execute { [self] in self.completeDeferred(number, build) }
            }
        }
    }

    private func completeDeferred(_ number: UInt64, _ build: ResponseBuilder) {
        guard !isClosed, let owed, owed.request == number else { return }
        loop.dispatch {
            guard machine.deferredResponseArrived(request: number) else { return }
            self.owed = nil
            machine.turnStarted()
            write(build(), meta: owed.meta)
            // Pipelined input waited while the response was owed; epoll will not report it again.
            // why: unless nothing came since the read that drained the socket (a browser, or a
            // keep-alive client, sends its next request after this response): that read would
            // only return EAGAIN, one system call per callback.
            if case .open = machine.state, process() == .drained, machine.mayRead, !socketDrained {
                readable()
            }
            finishDispatch()
        }
    }

    /// Serializes a response into the loop's batch and logs it.
    private func write(_ response: HTTPResponse, meta: RequestMeta) {
        let keepAlive = meta.keepAlive && !response.closeConnection && !machine.isDraining && !loop.shared.isDraining
        // The one place HSTS is added: every response over TLS carries it (RFC 6797 §7.1); over
        // plain HTTP a browser ignores it (§8.1), so it is not sent there.
        HTTPResponseSerializer.serialize(
            response, headOnly: meta.headOnly, keepAlive: keepAlive, date: loop.httpDate(),
            requestID: meta.id, strictTransportSecurity: tls != nil, into: &loop.plaintextOut)
        loop.requestMetrics.record(
            route: meta.route, method: RequestMetrics.methodLabel(meta.method), status: response.status.code,
            seconds: loop.now - meta.start)
        loop.accessLog(meta: meta, client: peer, status: response.status.code, bytes: meta.headOnly ? 0 : response.body.count)
        owed = nil
        perform(machine.responseQueued(keepAlive: keepAlive))
    }

    // MARK: - Output

    /// Encrypts this dispatch's batch, writes what the socket takes, keeps the rest as this
    /// connection's own, and tells the machine. Leaves the loop's scratch empty on every path.
    private func flush(closeNotify: Bool = false) {
        guard !isClosed else {
            loop.plaintextOut.removeAll(keepingCapacity: true)
            loop.cipherOut.removeAll(keepingCapacity: true)
            return
        }
        var progressed = false
        if !loop.plaintextOut.isEmpty {
            if let tls {
                let outcome: TLSEngine.Outcome
                var socketFailed = false
                if loop.cipherOut.isEmpty && pendingOffset >= pending.count {
                    // Nothing queued ahead of these records: they go from the TLS scratch to the
                    // socket, and only what the socket does not take is copied (into `pending`).
                    outcome = loop.plaintextOut.withUnsafeBytes { plaintext in
                        tls.send(plaintext, scratch: loop.tlsScratch) { records in
                            guard !socketFailed else { return }
                            if pendingOffset < pending.count {
                                pending.append(contentsOf: records)
                                return
                            }
                            guard let written = send(all: records) else {
                                socketFailed = true
                                return
                            }
                            if written > 0 { progressed = true }
                            if written < records.count {
                                pending = Array(records[written...])
                                pendingOffset = 0
                            }
                        }
                    }
                } else {
                    outcome = loop.plaintextOut.withUnsafeBytes { tls.send($0, scratch: loop.tlsScratch, outbound: &loop.cipherOut) }
                }
                loop.plaintextOut.removeAll(keepingCapacity: true)
                if case .failed = outcome { socketFailed = true }
                if socketFailed {
                    loop.cipherOut.removeAll(keepingCapacity: true)
                    perform(machine.writeFailed())
                    return
                }
            } else {
                loop.cipherOut.append(contentsOf: loop.plaintextOut)
                loop.plaintextOut.removeAll(keepingCapacity: true)
            }
        }
        if closeNotify, let tls {
            tls.close(scratch: loop.tlsScratch, outbound: &loop.cipherOut)
        }
        if !loop.cipherOut.isEmpty {
            if pendingOffset >= pending.count {
                let written = loop.cipherOut.withUnsafeBytes { send(all: $0) }
                guard let written else {
                    loop.cipherOut.removeAll(keepingCapacity: true)
                    perform(machine.writeFailed())
                    return
                }
                if written > 0 { progressed = true }
                if written < loop.cipherOut.count {
                    pending = Array(loop.cipherOut[written...])
                    pendingOffset = 0
                }
            } else {
                pending.append(contentsOf: loop.cipherOut)
            }
            loop.cipherOut.removeAll(keepingCapacity: true)
        }
        if pendingOffset < pending.count {
            writePending()
        } else {
            perform(machine.outputChanged(unsent: 0, progressed: progressed, now: loop.now))
        }
    }

    private func writePending() {
        let written = pending.withUnsafeBytes { send(all: UnsafeRawBufferPointer(rebasing: $0[pendingOffset...])) }
        guard let written else {
            perform(machine.writeFailed())
            return
        }
        pendingOffset += written
        if pendingOffset >= pending.count {
            // why: give the memory of a large batch back; an idle connection holds no output buffer.
            pending = []
            pendingOffset = 0
        }
        perform(machine.outputChanged(unsent: pending.count - pendingOffset, progressed: written > 0, now: loop.now))
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

    /// Closes the descriptor of a connection that was never registered with the loop.
    func abandon() {
        guard fdOpen else { return }
        fdOpen = false
        machine.closed()
        Glibc.close(fd)
        admission?.release(countedAs)
    }

    /// Closes at once with a reset (nothing is owed: no request was read), counting the refusal
    /// under `reason` like the acceptor's refusals.
    private func reset(reason: String) {
        // why: SO_LINGER 0 sends a reset and frees the socket now, as `Acceptor.refuse` does; the
        // sender notices the anomaly at once (§2.1: "abort the connection as soon as possible").
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        loop.shared.metrics.connectionRefused(reason: reason)
        closeNow()
    }

    /// Closes the descriptor now; unsent output and parser input are dropped with it.
    private func closeNow() {
        guard fdOpen else { return }
        machine.closed()
        fdOpen = false
        loop.eventLoop.deregister(fd: fd, closingNext: true)
        Glibc.close(fd)
        pending = []
        pendingOffset = 0
        owed = nil
        parser = HTTPRequestParser(limits: parser.limits)
        loop.plaintextOut.removeAll(keepingCapacity: true)
        loop.cipherOut.removeAll(keepingCapacity: true)
        loop.connectionClosed(self)
        admission?.release(countedAs)
    }
}

/// A connection's PROXY header parser, boxed: only connections from a balancer that sends one have
/// it, and every other connection then holds a pointer instead of the parser's ~110 bytes.
private final class ProxyHeaderBox {
    var parser = ProxyHeaderParser()
}
