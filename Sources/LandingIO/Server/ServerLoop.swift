import CLinux
import Glibc
import LandingCore

/// Per-thread server state around one `EventLoop`: its connections (for the timeout sweep and drain),
/// the scratch buffers every connection on this thread borrows, the cached `Date` value, request ids
/// and the batched access log. Touched only on the loop's thread.
final class ServerLoop: @unchecked Sendable {  // why: confined to its loop thread, like Connection.
    let eventLoop: EventLoop
    let shared: ServerShared
    let tlsScratch: TLSEngine.Scratch
    /// This loop's request counters and durations (written only here, read by scrapes).
    let requestMetrics: RequestMetricsShard
    var plaintextOut: [UInt8] = []
    var cipherOut: [UInt8] = []
    private var connections: [Int32: Connection] = [:]
    private var cachedDateSecond = -1
    private var cachedDate = ""
    private var requestCounter: UInt64 = 0
    private let requestIDPrefix: String
    private var logBuffer: [UInt8] = []

    init(eventLoop: EventLoop, shared: ServerShared) {
        self.eventLoop = eventLoop
        self.shared = shared
        self.tlsScratch = TLSEngine.Scratch.allocate()
        self.requestMetrics = shared.metrics.requests.makeShard()
        self.requestIDPrefix = "\(shared.processTag)\(eventLoop.index)-"
        plaintextOut.reserveCapacity(64 * 1024)
        cipherOut.reserveCapacity(96 * 1024)
        eventLoop.onTick = { [unowned self] now in self.sweep(now: now) }
        eventLoop.onIterationEnd = { [unowned self] in self.flushLog() }
        eventLoop.tickInterval = min(0.25, max(0.01, min(shared.timeouts.header, shared.timeouts.body, shared.timeouts.idle) / 5))
    }

    deinit { tlsScratch.deallocate() }

    var connectionCount: Int { connections.count }

    /// Takes a freshly accepted socket.
    func adopt(fd: Int32, peer: String, tls: TLSEngine?, application: Application) {
        let connection = Connection(fd: fd, peer: peer, tls: tls, application: application, loop: self, now: monotonicNow())
        do {
            // why: edge-triggered with both directions registered once, so no epoll_ctl per request.
            try eventLoop.register(fd: fd, events: EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue, handler: connection)
        } catch {
            shared.log(.error, "cannot register connection", ["error": error.description])
            connection.close()
            return
        }
        connections[fd] = connection
        shared.metrics.connectionOpened()
    }

    func connectionClosed(_ connection: Connection) {
        if connections[connection.fd] === connection {
            connections[connection.fd] = nil
            shared.metrics.connectionClosed()
        }
    }

    private func sweep(now: Double) {
        var expired: [Connection] = []
        for connection in connections.values {
            if let deadline = connection.deadline.deadline, now >= deadline { expired.append(connection) }
        }
        for connection in expired { connection.checkDeadline(now: now) }
    }

    /// Shutdown has begun: idle connections close now, busy ones after their response.
    func drainConnections() {
        for connection in Array(connections.values) { connection.drain() }
    }

    /// Closes everything (grace period over).
    func closeAll() {
        for connection in Array(connections.values) { connection.close() }
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
        return requestIDPrefix + String(requestCounter, radix: 16)
    }

    /// Appends one access-log line; written at the end of the loop iteration.
    func accessLog(meta: Connection.RequestMeta, status: Int, bytes: Int) {
        guard shared.config.accessLog else { return }
        let wall = wallClockNow()
        var line = JSONLine()
        line.add("time", Timestamp.rfc3339(seconds: wall.seconds, nanoseconds: wall.nanoseconds))
        line.add("type", "access")
        line.add("request_id", meta.id)
        line.add("method", meta.method)
        line.add("path", meta.path)
        line.add("status", status)
        line.add("bytes", bytes)
        line.add("duration_ms", milliseconds: (monotonicNow() - meta.start) * 1000)
        logBuffer.append(contentsOf: line.finished())
        if logBuffer.count > 64 * 1024 { flushLog() }
    }

    func flushLog() {
        guard !logBuffer.isEmpty else { return }
        shared.writeStdout(logBuffer)
        logBuffer.removeAll(keepingCapacity: true)
    }
}
