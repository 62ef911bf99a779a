import CLinux
import Foundation
import Glibc
import LandingCore
import Synchronization

/// The HTTPS server: one event loop per thread (default one per CPU), each owning its connections
/// from accept to close; requests are parsed, routed and answered on the thread that owns the socket.
public final class Server: @unchecked Sendable {
    public let config: ServerConfig
    let shared: ServerShared
    private var loops: [ServerLoop] = []
    private var acceptors: [Acceptor] = []
    private var listeners: [ListeningSocket] = []
    private var threads: [Thread] = []
    private let stopped = Mutex<Int>(0)
    public private(set) var httpsAddress: SocketAddress?
    public private(set) var httpAddress: SocketAddress?
    /// The metrics listener's address (`config.metricsListen`), once started.
    public private(set) var metricsAddress: SocketAddress?

    let application: Application
    let redirectApplication: Application?
    let metricsApplication: Application?
    /// A listener bound before the server was built (to learn an ephemeral port early), or handed
    /// over by systemd.
    private var preboundHTTPS: ListeningSocket?
    /// Plain listeners handed over by systemd, used instead of binding `config.httpListen` and
    /// `config.metricsListen`.
    private var preboundHTTP: ListeningSocket?
    private var preboundMetrics: ListeningSocket?

    /// - Parameters:
    ///   - application: answers requests on the HTTPS listener (`config.listen`).
    ///   - redirectApplication: answers requests on the plain listener (`config.httpListen`), if any.
    ///   - metricsApplication: answers requests on the plain metrics listener (`config.metricsListen`),
    ///     which is opened only when both are given.
    ///   - tlsStore: nil serves the main listener without TLS (tests only).
    ///   - httpsListener, httpListener, metricsListener: sockets already listening (socket
    ///     activation, or an ephemeral port bound early) used instead of binding the configured
    ///     address; the plain ones only when `config.httpListen` / `config.metricsListen` are set.
    public init(
        config: ServerConfig, application: Application, redirectApplication: Application? = nil,
        metricsApplication: Application? = nil, tlsStore: TLSContextStore?, logger: Logger,
        httpsListener: ListeningSocket? = nil, httpListener: ListeningSocket? = nil, metricsListener: ListeningSocket? = nil
    ) {
        self.config = config
        self.preboundHTTPS = httpsListener
        self.preboundHTTP = httpListener
        self.preboundMetrics = metricsListener
        self.application = application
        self.redirectApplication = redirectApplication
        self.metricsApplication = metricsApplication
        self.shared = ServerShared(config: config, tlsStore: tlsStore, logger: logger)
    }

    public var isDraining: Bool { shared.isDraining }
    public var openConnections: Int { shared.metrics.openConnections.load(ordering: .relaxed) }

    /// The server's metrics now (requests by route, durations, open connections, TLS handshakes);
    /// safe from any thread, for `MetricsRegistry.register`.
    public func metricFamilies() -> [MetricFamily] { shared.metrics.families() }

    /// The socket systemd passed for `option` (taken, so it is used once), else a new one bound to
    /// `address`.
    private static func listener(
        taking prebound: inout ListeningSocket?, option: String, _ address: ServerConfig.ListenAddress
    ) throws(SystemError) -> ListeningSocket {
        if let socket = prebound {
            prebound = nil
            return socket
        }
        return try ListeningSocket.bound(option: option, address)
    }

    /// Binds the listeners and starts the loop threads. Throws if an address cannot be bound.
    public func start() throws(SystemError) {
        let threadCount = config.threads > 0 ? config.threads : max(1, ProcessInfo.processInfo.activeProcessorCount)
        let httpsListener = try Self.listener(taking: &preboundHTTPS, option: "listen", config.listen)
        listeners.append(httpsListener)
        httpsAddress = httpsListener.address
        var httpListener: ListeningSocket?
        if let http = config.httpListen {
            let listener = try Self.listener(taking: &preboundHTTP, option: "http-listen", http)
            listeners.append(listener)
            httpListener = listener
            httpAddress = listener.address
        }
        var metricsListener: ListeningSocket?
        if let metrics = config.metricsListen, metricsApplication != nil {
            let listener = try Self.listener(taking: &preboundMetrics, option: "metrics-listen", metrics)
            listeners.append(listener)
            metricsListener = listener
            metricsAddress = listener.address
        }
        for index in 0..<threadCount {
            let eventLoop = try EventLoop(index: index)
            let loop = ServerLoop(eventLoop: eventLoop, shared: shared)
            loops.append(loop)
            let acceptor = Acceptor(
                listener: httpsListener, loop: loop, usesTLS: shared.tlsStore != nil, proxyProtocol: true, application: application)
            try acceptor.start()
            acceptors.append(acceptor)
            var loopAcceptors = [acceptor]
            if let httpListener {
                let plain = Acceptor(
                    listener: httpListener, loop: loop, usesTLS: false, proxyProtocol: true, application: redirectApplication ?? application)
                try plain.start()
                acceptors.append(plain)
                loopAcceptors.append(plain)
            }
            if let metricsListener, let metricsApplication {
                let metrics = Acceptor(listener: metricsListener, loop: loop, usesTLS: false, application: metricsApplication)
                try metrics.start()
                acceptors.append(metrics)
                loopAcceptors.append(metrics)
            }
            loop.onTurn = { now in
                for a in loopAcceptors { a.tick(now: now) }
            }
        }
        for loop in loops {
            let thread = Thread { [self] in
                loop.eventLoop.run()
                self.stopped.withLock { $0 += 1 }
            }
            thread.name = "loop-\(loop.eventLoop.index)"
            thread.stackSize = 1 << 20
            threads.append(thread)
            thread.start()
        }
    }

    /// Seconds since each event loop last started a turn, for the watchdog (`SystemdWatchdog`); empty
    /// before `start`. Safe from any thread once `start` has returned.
    public var loopIdleSeconds: [Double] { loops.map { $0.eventLoop.secondsSinceLastTurn } }

    /// Sets the drain flag: `/readyz` answers 503 and responses carry `Connection: close` from now on.
    /// `shutdown` does it too; calling it first lets the caller log "draining" truthfully.
    public func beginDraining() {
        shared.beginDraining()
    }

    /// Stops accepting, lets in-flight requests finish, closes idle keep-alive connections, and
    /// waits up to `grace` seconds for the rest. Returns the number of connections still open when
    /// it gave up (0 on a clean drain). The loops are stopped afterwards.
    @discardableResult
    public func shutdown(grace: Double) -> Int {
        shared.beginDraining()
        let acked = Atomic<Int>(0)
        for (index, loop) in loops.enumerated() {
            let loopAcceptors = acceptors.filter { $0.loop === loop }
            loop.eventLoop.execute {
                for a in loopAcceptors { a.stop() }
                loop.drainConnections()
                acked.add(1, ordering: .sequentiallyConsistent)
            }
            _ = index
        }
        let deadline = monotonicNow() + grace
        while acked.load(ordering: .sequentiallyConsistent) < loops.count && monotonicNow() < deadline + 1 {
            usleep(2_000)
        }
        for listener in listeners { listener.close() }
        while openConnections > 0 && monotonicNow() < deadline {
            usleep(10_000)
        }
        let left = openConnections
        for loop in loops {
            loop.eventLoop.execute { loop.closeAll() }
            loop.eventLoop.stop()
        }
        let stopDeadline = monotonicNow() + 2
        while stopped.withLock({ $0 }) < loops.count && monotonicNow() < stopDeadline { usleep(2_000) }
        return left
    }

    /// Reloads the certificate and key; the old pair stays on failure.
    public func reloadCertificate() -> Result<String, TLSError> {
        guard let store = shared.tlsStore else { return .failure(TLSError(operation: "no TLS listener")) }
        // why: an expired certificate would fail every handshake; the previous one may still be valid.
        return store.reload(now: Int64(wallClockNow().seconds)).map(\.leafFingerprint)
    }
}
