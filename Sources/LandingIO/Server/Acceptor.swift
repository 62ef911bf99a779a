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
    let application: Application
    private var registered = false
    private var pausedUntil: Double?

    init(listener: ListeningSocket, loop: ServerLoop, usesTLS: Bool, application: Application) {
        self.listener = listener
        self.application = application
        self.loop = loop
        self.usesTLS = usesTLS
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

    /// Re-arms after an EMFILE pause.
    func tick(now: Double) {
        if let until = pausedUntil, now >= until, !loop.shared.isDraining {
            pausedUntil = nil
            try? start()
        }
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
                    stop()
                    pausedUntil = monotonicNow() + 0.1
                    return
                case ECONNABORTED, EPROTO, EPERM:
                    continue
                default:
                    loop.shared.log(.error, "accept failed", ["error": error.description])
                    return
                }
            }
            guard case .done(let accepted) = result else { return }
            var one: Int32 = 1
            setsockopt(accepted.fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var engine: TLSEngine? = nil
            if usesTLS, let store = loop.shared.tlsStore {
                do {
                    engine = try TLSEngine(context: store.context)
                } catch {
                    loop.shared.log(.error, "cannot create TLS session", ["error": error.description])
                    Glibc.close(accepted.fd)
                    continue
                }
            }
            loop.adopt(fd: accepted.fd, peer: accepted.peer?.host ?? "-", tls: engine, application: application)
        }
    }
}
