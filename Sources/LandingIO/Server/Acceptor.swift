import CLinux
import Glibc
import LandingCore

/// Accepts connections from a listening socket on one loop. Every loop registers the same listening
/// socket with EPOLLEXCLUSIVE, so the kernel wakes one loop per incoming connection.
final class Acceptor: EventHandler, @unchecked Sendable {  // why: confined to its loop thread.
    let listener: ListeningSocket
    let loop: ServerLoop
    /// Wrap accepted sockets in TLS (the HTTPS listener) or not (the plain redirect listener).
    let usesTLS: Bool
    /// Whether `--proxy-protocol-from` governs this listener (the public ones, not metrics): when it
    /// is set, only the balancers it names may connect, and each connection starts with a PROXY header.
    let expectsProxyProtocol: Bool
    let application: Application
    private var registered = false
    private var pausedUntil: Double?

    init(listener: ListeningSocket, loop: ServerLoop, usesTLS: Bool, proxyProtocol: Bool = false, application: Application) {
        self.listener = listener
        self.application = application
        self.loop = loop
        self.usesTLS = usesTLS
        self.expectsProxyProtocol = proxyProtocol && !loop.shared.proxyProtocolFrom.isEmpty
    }

    func start() throws(SystemError) {
        // why: level-triggered + EPOLLEXCLUSIVE: no thundering herd across loops, and a backlog that
        // was not fully drained (accept budget) keeps signalling.
        try loop.eventLoop.register(fd: listener.fd, events: EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue, handler: self)
        registered = true
    }

    func stop() {
        if registered {
            loop.eventLoop.deregister(fd: listener.fd)
            registered = false
        }
        pausedUntil = nil
    }

    /// Re-arms after an EMFILE pause; a failed re-arm is retried, never left for good.
    func tick(now: Double) {
        guard let until = pausedUntil, now >= until, !loop.shared.isDraining else { return }
        do {
            try start()
            pausedUntil = nil
            loop.shared.log(.info, "accept resumed")
        } catch {
            loop.shared.log(.error, "accept still paused: cannot re-arm the listener", ["error": error.description])
            pausedUntil = now + 0.5
        }
    }

    /// Whether the acceptor is waiting to re-arm (tests).
    var isPaused: Bool { pausedUntil != nil }

    /// Stops listening until `until`, as when the process runs out of descriptors.
    func pause(until: Double) {
        stop()
        pausedUntil = until
    }

    func handle(events: UInt32) {
        // A budget per wake keeps one busy listener from starving the loop's connections.
        for _ in 0..<64 {
            let result: IOResult<(fd: Int32, peer: SocketAddress?)>
            do {
                result = try listener.accept()
            } catch {
                switch error.errno {
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // why: level-triggered epoll would spin while the process is out of descriptors;
                    // stop listening for a moment instead.
                    loop.shared.log(.warning, "accept paused: out of resources", ["error": error.description])
                    pause(until: loop.now + 0.1)
                    return
                case ECONNABORTED, EPROTO, EPERM:
                    continue
                default:
                    loop.shared.log(.error, "accept failed", ["error": error.description])
                    return
                }
            }
            guard case .done(let accepted) = result else { return }
            let peer = accepted.peer?.host ?? "-"
            let shared = loop.shared
            // HAProxy's PROXY protocol §2: the receiver "MUST not try to guess whether the protocol
            // header is present or not" and "SHOULD ensure proper access filtering so that only
            // trusted proxies are allowed to use this protocol": every connection here must start
            // with a header, so only the trusted balancers may connect at all.
            if expectsProxyProtocol {
                guard let address = accepted.peer?.ipAddress, shared.proxyProtocolFrom.contains(where: { $0.contains(address) }) else {
                    refuse(accepted.fd, reason: "proxy_protocol_untrusted")
                    continue
                }
            }
            // A balancer's connection counts toward the total now and toward its client's address
            // once the PROXY header names it (`Connection`); the balancer's own address is no limit.
            let countedAs: String? = expectsProxyProtocol ? nil : peer
            switch shared.admission.admit(countedAs) {
            case .admitted:
                break
            case .tooManyTotal:
                refuse(accepted.fd, reason: "max_connections")
                continue
            case .tooManyFromAddress:
                refuse(accepted.fd, reason: "max_connections_per_address")
                continue
            }
            if usesTLS && !shared.handshakeRate.take(now: loop.now) {
                shared.admission.release(countedAs)
                refuse(accepted.fd, reason: "max_handshakes_per_second")
                continue
            }
            var one: Int32 = 1
            setsockopt(accepted.fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var engine: TLSEngine? = nil
            if usesTLS, let store = shared.tlsStore {
                do {
                    engine = try TLSEngine(context: store.context)
                } catch {
                    shared.log(.error, "cannot create TLS session", ["error": error.description])
                    Glibc.close(accepted.fd)
                    shared.admission.release(countedAs)
                    continue
                }
            }
            loop.adopt(
                fd: accepted.fd, peer: peer, tls: engine, application: application, admission: shared.admission, countedAs: countedAs,
                expectsProxyHeader: expectsProxyProtocol)
        }
    }

    /// Closes a connection a limit refused, at once and without reading it (a reset, not a
    /// response: nothing has been negotiated yet), and counts it.
    private func refuse(_ fd: Int32, reason: String) {
        // why: SO_LINGER 0 makes close send a reset and free the socket now, with no TIME_WAIT,
        // so a flood of refused connections costs the server nothing that lasts.
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Glibc.close(fd)
        loop.shared.metrics.connectionRefused(reason: reason)
    }
}
