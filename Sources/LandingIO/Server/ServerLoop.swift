import CLinux
import Glibc
import LandingCore

/// Per-thread server state around one `EventLoop`: its connections, their timers (one heap), the
/// output scratch every connection on this thread borrows for one dispatch, the cached `Date` value,
/// request ids and the batched access log. Touched only on the loop's thread.
final class ServerLoop: @unchecked Sendable {  // why: confined to its loop thread (`eventLoop.assertOnLoop`).
    let eventLoop: EventLoop
    let shared: ServerShared
    let tlsScratch: TLSEngine.Scratch
    /// This loop's request counters and durations (written only here, read by scrapes).
    let requestMetrics: RequestMetricsShard
    /// Responses rendered in the current dispatch, before encryption. Lent to one connection at a
    /// time: empty when a dispatch starts and when it ends (`dispatch`).
    var plaintextOut: [UInt8] = []
    /// Records encrypted in the current dispatch, before the socket takes them. Same rule.
    var cipherOut: [UInt8] = []
    private var connections: [Int32: Connection] = [:]
    private var timers = DeadlineHeap<TimerID>()
    private var nextConnectionID: UInt64 = 0
    private var cachedDateSecond = -1
    private var cachedDate = ""
    private var requestCounter: UInt64 = 0
    private let requestIDPrefix: String
    private var logBuffer: [UInt8] = []
    /// Extra work per turn (acceptor re-arming).
    var onTurn: ((Double) -> Void)?
    /// Requests every connection on this loop may still take this turn: bounds a turn's length
    /// however many connections pipeline at once, so a request arriving now waits at most about
    /// one budget's worth of work.
    var requestBudget = ServerLoop.requestsPerTurn
    static let requestsPerTurn = 128

    /// A timer entry: which connection, and which of its lives (descriptor numbers are reused).
    struct TimerID: Sendable, Equatable {
        var fd: Int32
        var connection: UInt64
    }

    /// Scratch capacity kept between dispatches; a larger batch's memory is given back.
    private static let retainedScratch = 128 * 1024

    init(eventLoop: EventLoop, shared: ServerShared) {
        self.eventLoop = eventLoop
        self.shared = shared
        self.tlsScratch = TLSEngine.Scratch.allocate()
        self.requestMetrics = shared.metrics.requests.makeShard()
        self.requestIDPrefix = "\(shared.processTag)\(eventLoop.index)-"
        plaintextOut.reserveCapacity(64 * 1024)
        cipherOut.reserveCapacity(96 * 1024)
        eventLoop.nextDeadline = { [unowned self] in self.timers.earliest }
        eventLoop.onTimers = { [unowned self] now in self.fireTimers(now: now) }
        eventLoop.onIterationEnd = { [unowned self] in self.flushLog() }
        eventLoop.onTurnStart = { [unowned self] in self.requestBudget = Self.requestsPerTurn }
    }

    deinit { tlsScratch.deallocate() }

    var connectionCount: Int { connections.count }
    var now: Double { eventLoop.clock() }

    /// Takes a freshly accepted socket; nil when it could not be registered (the socket is closed
    /// and its admission released). `admission`, `countedAs`, `expectsProxyHeader`: see `Connection.init`.
    @discardableResult
    func adopt(
        fd: Int32, peer: String, tls: TLSEngine?, application: Application, admission: ConnectionAdmission? = nil,
        countedAs: String? = nil, expectsProxyHeader: Bool = false
    ) -> Connection? {
        eventLoop.assertOnLoop()
        nextConnectionID &+= 1
        let connection = Connection(
            fd: fd, id: nextConnectionID, peer: peer, tls: tls, application: application, loop: self, now: now,
            admission: admission, countedAs: countedAs, expectsProxyHeader: expectsProxyHeader)
        do {
            // why: edge-triggered with both directions registered once, so no epoll_ctl per request.
            try eventLoop.register(fd: fd, events: EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue, handler: connection)
        } catch {
            shared.log(.error, "cannot register connection", ["error": error.description])
            // why: the connection owns the descriptor now; closing it here and again in its
            // deinit could close a descriptor another thread has just been given.
            connection.abandon()
            return nil
        }
        connections[fd] = connection
        shared.metrics.connectionOpened()
        connection.armTimer()
        return connection
    }

    func connectionClosed(_ connection: Connection) {
        if connections[connection.fd] === connection {
            connections[connection.fd] = nil
            shared.metrics.connectionClosed()
        }
        // why: entries of closed connections stay in the heap until they pop; rebuild it when they
        // outnumber the live ones, so a churn of short connections cannot grow it (amortised O(1)).
        if timers.count > 2 * connections.count + 64 {
            timers.removeAll()
            for live in connections.values {
                if let deadline = live.armedDeadline { timers.push(deadline, id: TimerID(fd: live.fd, connection: live.id)) }
            }
        }
    }

    // MARK: - Output scope

    /// Runs one dispatch of `connection`'s work with the loop's output scratch. Whatever the exit
    /// path (early return, abort, close), the scratch is empty afterwards, so no byte rendered for
    /// one connection can be sent to another; debug builds assert the connection left it empty.
    @inline(__always)
    func dispatch(_ body: () -> Void) {
        eventLoop.assertOnLoop()
        assert(plaintextOut.isEmpty && cipherOut.isEmpty, "output scratch not empty at dispatch start")
        body()
        assert(plaintextOut.isEmpty && cipherOut.isEmpty, "a dispatch left output in the loop's scratch")
        if !plaintextOut.isEmpty || plaintextOut.capacity > Self.retainedScratch {
            plaintextOut.removeAll(keepingCapacity: plaintextOut.capacity <= Self.retainedScratch)
        }
        if !cipherOut.isEmpty || cipherOut.capacity > Self.retainedScratch {
            cipherOut.removeAll(keepingCapacity: cipherOut.capacity <= Self.retainedScratch)
        }
    }

    // MARK: - Timers

    /// Arms `connection`'s timer at `deadline`. One heap entry per connection at a time: a later
    /// deadline keeps the earlier entry (checked and re-armed when it pops), an earlier one adds
    /// a new entry (the old one is ignored when it pops).
    func armTimer(_ connection: Connection, at deadline: Double) {
        if let armed = connection.armedDeadline, armed <= deadline { return }
        connection.armedDeadline = deadline
        timers.push(deadline, id: TimerID(fd: connection.fd, connection: connection.id))
    }

    /// Timer entries (for tests: one per connection at most, plus ignored stale ones).
    var timerCount: Int { timers.count }

    func fireTimers(now: Double) {
        while let entry = timers.popExpired(now: now) {
            guard let connection = connections[entry.id.fd], connection.id == entry.id.connection,
                connection.armedDeadline == entry.deadline
            else { continue }
            connection.armedDeadline = nil
            connection.timerFired(now: now)
        }
        onTurn?(now)
    }

    /// Shutdown has begun: idle connections close now, busy ones after their response.
    func drainConnections() {
        for connection in Array(connections.values) { connection.drain() }
    }

    /// Closes everything (grace period over).
    func closeAll() {
        for connection in Array(connections.values) { connection.forceClose() }
    }

    /// The `Date` header value, recomputed once per second.
    func httpDate() -> String {
        let now = wallClockNow().seconds
        if now != cachedDateSecond {
            cachedDateSecond = now
            cachedDate = HTTPDate.imfFixdate(epochSeconds: now)
        }
        return cachedDate
    }

    func nextRequestID() -> String {
        requestCounter &+= 1
        return Self.requestID(prefix: requestIDPrefix, counter: requestCounter)
    }

    /// `prefix` followed by `counter` in lowercase hex (`prefix + String(counter, radix: 16)`),
    /// written into the new string's storage in one pass.
    static func requestID(prefix: String, counter: UInt64) -> String {
        var digits = 1
        while digits < 16 && counter >> (4 * UInt64(digits)) != 0 { digits += 1 }
        let prefixCount = prefix.utf8.count
        return String(unsafeUninitializedCapacity: prefixCount + digits) { buffer in
            _ = buffer.initialize(from: prefix.utf8)
            for i in 0..<digits {
                let nibble = UInt8(truncatingIfNeeded: counter >> (4 * UInt64(digits - 1 - i))) & 0xF
                buffer[prefixCount + i] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
            }
            return prefixCount + digits
        }
    }

    /// Appends one access-log line; written at the end of the loop iteration. `client` is the
    /// connection's peer address.
    func accessLog(meta: Connection.RequestMeta, client: String, status: Int, bytes: Int) {
        guard shared.config.accessLog else { return }
        let wall = wallClockNow()
        let entry = AccessLogEntry(
            requestID: meta.id, client: client, method: meta.method, path: meta.path, status: status, bytes: bytes,
            durationSeconds: now - meta.start, userAgent: meta.userAgent)
        entry.appendLine(seconds: wall.seconds, nanoseconds: wall.nanoseconds, to: &logBuffer)
        if logBuffer.count > 64 * 1024 { flushLog() }
    }

    func flushLog() {
        guard !logBuffer.isEmpty else { return }
        shared.writeStdout(logBuffer)
        logBuffer.removeAll(keepingCapacity: logBuffer.capacity <= 128 * 1024)
    }
}
