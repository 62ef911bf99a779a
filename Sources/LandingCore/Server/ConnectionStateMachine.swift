/// The life of one server connection as a value: the shell reports what happened (input arrived,
/// a read stopped, a request was parsed, a response was queued, output drained, time passed, the
/// peer hung up) and performs the `Action` it gets back. One state replaces the flags a driver
/// would otherwise keep, and every rule about when to read, when to take the next pipelined request,
/// when to close, linger or time out lives here, tested with an injected clock and no socket.
///
/// Bounds it enforces:
/// - Back-pressure before work: no request is taken from the parser while the connection's unsent
///   output (queued plus this turn's batch) is at `maxUnsentOutput`, and no input is read then.
/// - At most `maxRequestsPerWake` requests per turn; then the connection yields to the others.
/// - A handler that owes a response has a deadline (`handler` timeout); a long-poll's own timer
///   (`responseDeferred(timerAfter:)`) fires on the same clock.
/// - After a response that ends the connection while the peer may still be sending, the write side
///   is shut and input is drained and discarded for at most `linger` seconds and `lingerMaxBytes`
///   bytes (lingering close), so the peer reads the response instead of a reset.
public struct ConnectionStateMachine: Sendable, Equatable {
    /// Work bounds (not timeouts).
    public struct Limits: Sendable, Equatable {
        /// Unsent output at which the connection stops taking requests and reading input.
        public var maxUnsentOutput: Int
        /// Requests answered per turn of the event loop before yielding to other connections.
        public var maxRequestsPerWake: Int
        /// Input discarded while lingering before the connection is closed anyway.
        public var lingerMaxBytes: Int

        public init(maxUnsentOutput: Int = 64 * 1024, maxRequestsPerWake: Int = 4, lingerMaxBytes: Int = 1 << 20) {
            self.maxUnsentOutput = maxUnsentOutput
            self.maxRequestsPerWake = maxRequestsPerWake
            self.lingerMaxBytes = lingerMaxBytes
        }
    }

    /// Where the connection is.
    public enum State: Sendable, Equatable {
        /// A trusted load balancer's PROXY protocol header is being read; nothing else is processed
        /// before it is complete ("The receiver MUST NOT start processing the connection before it
        /// receives a complete and valid PROXY protocol header", HAProxy's PROXY protocol §2).
        case awaitingProxyHeader
        /// The TLS handshake is in progress.
        case handshaking
        /// Reading and answering requests.
        case open
        /// A handler owes the response to request `request`; pipelined input waits unparsed.
        case awaitingResponse(request: UInt64)
        /// The last response is queued: send what is left, then close (or linger).
        case closing(linger: Bool)
        /// The write side is shut; input is read and discarded until EOF, the deadline or the cap.
        case lingering(until: Double, discarded: Int)
        case closed
    }

    /// What the shell must do next.
    public enum Action: Sendable, Equatable {
        case none
        /// Read the socket now (until it would block or the read budget runs out), then parse.
        case read
        /// Come back from the loop's task queue: parse what is buffered, then read (edge-triggered
        /// epoll will not report input that is already waiting).
        case scheduleResume
        /// Append TLS close_notify (if TLS) to the output, then flush; the connection closes when the
        /// output is sent.
        case finishOutput
        /// Shut the write side (after TLS close_notify) and start discarding input.
        case startLingering
        /// Close the descriptor now; unsent output is dropped.
        case close
        /// Cancel the owed response's work (its client left), then close now.
        case cancelAndClose
        /// Answer 408 Request Timeout and close.
        case requestTimedOut
        /// Run the timer the handler of the owed response asked for (a long-poll's deadline).
        case fireRequestTimer
        /// The handler missed its deadline: cancel its work, answer 503 and close.
        case handlerTimedOut
    }

    /// Why a read loop stopped.
    public enum ReadStop: Sendable, Equatable {
        /// The socket has nothing more (EAGAIN, or a short read).
        case drained
        /// The per-turn read budget ran out with input possibly left.
        case budgetExhausted
        /// Back-pressure or a state change stopped reading with input possibly left.
        case paused
        /// The peer closed its side (read returned 0, or TLS close_notify).
        case endOfInput
        /// The read failed (reset) or TLS failed without anything to send.
        case failed
    }

    public let timeouts: ConnectionTimeouts
    public let limits: Limits
    /// Whether a TLS handshake follows the PROXY header (or opens the connection, without one).
    public let usesTLS: Bool
    public private(set) var state: State
    /// The peer will send nothing more.
    public private(set) var peerInputClosed = false
    /// Input may be waiting in the socket that nobody will be told about (edge-triggered).
    public private(set) var inputPending = false
    /// Output queued for the socket and not yet taken by it.
    public private(set) var unsentOutput = 0
    /// Shutdown has begun: no keep-alive, close when idle.
    public private(set) var isDraining = false
    private var requestsThisWake = 0
    private var parserPhase = HTTPRequestParser.Phase.idle
    private var phaseSince: Double
    private var lastWriteProgress: Double
    private var requestTimerAt: Double?
    private var handlerDeadline = Double.infinity

    /// `expectsProxyHeader`: the connection starts with a PROXY protocol header (its peer is a
    /// trusted load balancer), read within the header timeout before anything else.
    public init(timeouts: ConnectionTimeouts, limits: Limits = Limits(), usesTLS: Bool, expectsProxyHeader: Bool = false, now: Double) {
        self.timeouts = timeouts
        self.limits = limits
        self.usesTLS = usesTLS
        self.state = expectsProxyHeader ? .awaitingProxyHeader : usesTLS ? .handshaking : .open
        self.phaseSince = now
        self.lastWriteProgress = now
    }

    // MARK: - Reading

    /// Whether reading the socket now is allowed: not while a response is owed, not while output is
    /// backed up, not after the peer closed.
    public var mayRead: Bool {
        guard !peerInputClosed else { return false }
        switch state {
        case .awaitingProxyHeader, .handshaking, .lingering: return true
        case .open: return unsentOutput < limits.maxUnsentOutput
        case .awaitingResponse, .closing, .closed: return false
        }
    }

    /// An event loop turn begins for this connection: the per-turn request budget restarts.
    public mutating func turnStarted() {
        requestsThisWake = 0
    }

    /// Epoll reported input.
    public mutating func inputArrived() -> Action {
        if mayRead { return .read }
        if case .closed = state { return .none }
        inputPending = true
        return .none
    }

    /// A read loop ended.
    public mutating func readStopped(_ why: ReadStop) -> Action {
        switch why {
        case .drained:
            return .none
        case .budgetExhausted where mayRead:
            return .scheduleResume
        case .budgetExhausted, .paused:
            // Resumed when the output drains (`outputChanged`) or the owed response arrives.
            inputPending = true
            return .none
        case .endOfInput:
            peerInputClosed = true
            inputPending = false
            switch state {
            case .awaitingProxyHeader, .handshaking, .lingering:
                return .close
            case .awaitingResponse:
                // The client left (or half-closed) while its response is owed: nobody will read it.
                state = .closed
                return .cancelAndClose
            case .open:
                // What was parsed is answered; then close without lingering (the peer sends no more).
                state = .closing(linger: false)
                return .finishOutput
            case .closing:
                state = .closing(linger: false)
                return .none
            case .closed:
                return .none
            }
        case .failed:
            return abort()
        }
    }

    /// Epoll reported a hang-up: `fatal` for EPOLLHUP/EPOLLERR (nothing can be sent), otherwise
    /// EPOLLRDHUP (the peer shut its sending side).
    public mutating func peerHungUp(fatal: Bool) -> Action {
        if fatal { return abort() }
        switch state {
        case .awaitingResponse:
            peerInputClosed = true
            state = .closed
            return .cancelAndClose
        case .lingering:
            return .close
        case .closed:
            return .none
        case .awaitingProxyHeader, .handshaking, .open, .closing:
            // Bytes sent before the FIN are still to be read (and answered); the read ends at EOF.
            return mayRead ? .read : .none
        }
    }

    /// Input discarded while lingering.
    public mutating func discarded(_ count: Int) -> Action {
        guard case .lingering(let until, let total) = state else { return .none }
        let now = total + count
        if now >= limits.lingerMaxBytes { return close() }
        state = .lingering(until: until, discarded: now)
        return .none
    }

    /// The PROXY protocol header is complete: the TLS handshake (or, without TLS, the first request)
    /// comes next. The header timeout keeps running from the accept for the handshake, so a
    /// balancer's connection gets no more time than a direct client's.
    public mutating func proxyHeaderReceived(now: Double) {
        guard case .awaitingProxyHeader = state else { return }
        if usesTLS {
            state = .handshaking
        } else {
            state = .open
            parserPhase = .idle
            phaseSince = now
        }
    }

    /// The TLS handshake finished.
    public mutating func handshakeCompleted(now: Double) {
        guard case .handshaking = state else { return }
        state = .open
        parserPhase = .idle
        phaseSince = now
    }

    /// TLS failed; any alert is already queued. Send it and close, without close_notify.
    public mutating func tlsFailed() -> Action {
        switch state {
        case .closed: return .none
        case .awaitingResponse:
            state = .closed
            return .cancelAndClose
        default:
            state = .closing(linger: false)
            return .none
        }
    }

    // MARK: - Requests

    /// What to do about the next request in the parser.
    public enum Take: Sendable, Equatable {
        /// Take it.
        case take
        /// Not now: output is backed up, a response is owed, or the connection is closing.
        case stop
        /// The per-turn budget is spent: resume from the task queue after the other connections.
        case yield
    }

    /// Whether to take the next request, given `batchBytes` of responses rendered this turn and not
    /// yet counted in `unsentOutput`. Back-pressure is checked before the work is taken on.
    public mutating func mayTakeRequest(batchBytes: Int) -> Take {
        guard case .open = state else { return .stop }
        if unsentOutput + batchBytes >= limits.maxUnsentOutput {
            inputPending = true
            return .stop
        }
        if requestsThisWake >= limits.maxRequestsPerWake { return .yield }
        return .take
    }

    /// The parser produced a request (or an error answered like one): it counts against the turn.
    public mutating func requestTaken() {
        requestsThisWake += 1
    }

    /// The parser's phase after parsing; `requestCompleted` when a request was taken since the last
    /// call. The header and body clocks restart on a phase change and on each completed request, so
    /// a client that trickles one request's bytes cannot extend its deadline (slowloris) while one
    /// that completes requests steadily is never timed out.
    public mutating func parserPhaseChanged(_ phase: HTTPRequestParser.Phase, requestCompleted: Bool, now: Double) {
        if phase != parserPhase || requestCompleted {
            parserPhase = phase
            phaseSince = now
        }
    }

    /// The handler of request `request` will answer later; `timerAfter` is the timer it asked for
    /// (a long-poll's wait).
    public mutating func responseDeferred(request: UInt64, timerAfter: Double?, now: Double) {
        guard case .open = state else { return }
        state = .awaitingResponse(request: request)
        requestTimerAt = timerAfter.map { now + max(0, $0) }
        handlerDeadline = now + timeouts.handler
    }

    /// The deferred response to `request` arrived; false when it is no longer wanted (the
    /// connection closed or timed the handler out): drop it.
    public mutating func deferredResponseArrived(request: UInt64) -> Bool {
        guard case .awaitingResponse(let owed) = state, owed == request else { return false }
        state = .open
        requestTimerAt = nil
        handlerDeadline = .infinity
        inputPending = false  // the shell resumes parsing and reading now
        return true
    }

    /// A response was added to this turn's output; `keepAlive` false ends the connection after it.
    public mutating func responseQueued(keepAlive: Bool) -> Action {
        if keepAlive && !isDraining { return .none }
        switch state {
        case .open, .awaitingResponse:
            state = .closing(linger: !peerInputClosed)
            return .finishOutput
        default:
            return .none
        }
    }

    // MARK: - Output

    /// Output was written (or queued): `unsent` bytes wait for the socket now.
    public mutating func outputChanged(unsent: Int, progressed: Bool, now: Double) -> Action {
        if unsentOutput == 0 && unsent > 0 || progressed { lastWriteProgress = now }
        unsentOutput = unsent
        guard unsent == 0 else { return .none }
        switch state {
        case .closing(let linger):
            if linger && !peerInputClosed {
                state = .lingering(until: now + timeouts.linger, discarded: 0)
                return .startLingering
            }
            return close()
        case .open:
            if inputPending && !peerInputClosed {
                inputPending = false
                return .scheduleResume
            }
            return .none
        default:
            return .none
        }
    }

    /// A write failed: the peer is gone.
    public mutating func writeFailed() -> Action { abort() }

    // MARK: - Time and lifecycle

    /// When `timerFired` must next be called, if ever.
    public var deadline: Double? {
        switch state {
        case .awaitingProxyHeader, .handshaking:
            return phaseSince + timeouts.header
        case .open:
            if unsentOutput > 0 { return lastWriteProgress + timeouts.idle }
            switch parserPhase {
            case .idle: return phaseSince + timeouts.idle
            case .head: return phaseSince + timeouts.header
            case .body: return phaseSince + timeouts.body
            }
        case .awaitingResponse:
            return min(requestTimerAt ?? .infinity, handlerDeadline)
        case .closing:
            return lastWriteProgress + timeouts.idle
        case .lingering(let until, _):
            return until
        case .closed:
            return nil
        }
    }

    /// Time passed; what expired, if anything.
    public mutating func timerFired(now: Double) -> Action {
        guard let deadline, now >= deadline else { return .none }
        switch state {
        case .awaitingProxyHeader, .handshaking:
            return close()
        case .open:
            if unsentOutput > 0 { return abort() }  // the peer stopped reading
            switch parserPhase {
            case .idle:
                state = .closing(linger: false)
                return .finishOutput
            case .head, .body:
                return .requestTimedOut
            }
        case .awaitingResponse:
            if let at = requestTimerAt, now >= at {
                requestTimerAt = nil
                return .fireRequestTimer
            }
            return .handlerTimedOut
        case .closing:
            return abort()
        case .lingering:
            return close()
        case .closed:
            return .none
        }
    }

    /// Shutdown has begun: an idle connection closes now, a busy one after its response.
    public mutating func drain() -> Action {
        isDraining = true
        guard case .open = state, parserPhase == .idle, unsentOutput == 0 else {
            if case .handshaking = state { return close() }
            if case .awaitingProxyHeader = state { return close() }
            return .none
        }
        state = .closing(linger: false)
        return .finishOutput
    }

    /// The shell closed the descriptor.
    public mutating func closed() {
        state = .closed
        requestTimerAt = nil
    }

    private mutating func close() -> Action {
        state = .closed
        return .close
    }

    /// Closes at once, cancelling an owed response's work.
    private mutating func abort() -> Action {
        let owed: Bool
        if case .awaitingResponse = state { owed = true } else { owed = false }
        if case .closed = state { return .none }
        state = .closed
        return owed ? .cancelAndClose : .close
    }
}
