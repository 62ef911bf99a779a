import CLinux
import Glibc
import LandingCore
import Synchronization

/// State every loop reads: configuration, the application, the TLS contexts, the drain flag,
/// counters and the log sink. Thread-safe.
final class ServerShared: Sendable {
    let config: ServerConfig
    let timeouts: ConnectionTimeouts
    let tlsStore: TLSContextStore?
    let metrics = ServerMetrics()
    let logger: Logger
    /// Random per process, so request ids from several instances do not collide.
    let processTag: String
    private let draining = Atomic<Bool>(false)
    private let stdoutLock = Mutex<Void>(())

    init(config: ServerConfig, tlsStore: TLSContextStore?, logger: Logger) {
        self.config = config
        self.timeouts = ConnectionTimeouts(header: config.headerTimeout, body: config.bodyTimeout, idle: config.idleTimeout)
        self.tlsStore = tlsStore
        self.logger = logger
        var random: UInt32 = 0
        _ = getrandom(&random, 4, 0)
        self.processTag = String(random, radix: 16) + "-"
    }

    var isDraining: Bool { draining.load(ordering: .relaxed) }
    func beginDraining() { draining.store(true, ordering: .relaxed) }

    func log(_ level: ServerConfig.LogLevel, _ message: String, _ metadata: [String: String] = [:]) {
        logger.log(level, message, metadata)
    }

    /// Writes whole lines to stdout; one lock so lines from different loops never interleave.
    func writeStdout(_ bytes: [UInt8]) {
        stdoutLock.withLock { _ in
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(1, raw.baseAddress! + offset, raw.count - offset)
                    if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
                }
            }
        }
    }
}

/// Counters the server keeps, exported by `/metrics` (`families()`). Connection and handshake
/// counts are shared atomics (changed once per connection); request counts and durations are
/// per loop (`RequestMetrics` shards), so answering a request touches nothing another loop writes.
final class ServerMetrics: Sendable {
    let openConnections = Atomic<Int>(0)
    let requests = RequestMetrics()
    let handshakesOK = Atomic<Int>(0)
    let handshakesFailed = Atomic<Int>(0)

    func connectionOpened() { openConnections.add(1, ordering: .relaxed) }
    func connectionClosed() { openConnections.subtract(1, ordering: .relaxed) }
    func handshakeSucceeded() { handshakesOK.add(1, ordering: .relaxed) }
    func handshakeFailed() { handshakesFailed.add(1, ordering: .relaxed) }

    /// Requests by route, their durations, open connections and TLS handshakes.
    func families() -> [MetricFamily] {
        requests.families() + [
            .single(
                "landing_open_connections", help: "Connections open now, on every listener.", kind: .gauge,
                value: Double(openConnections.load(ordering: .relaxed))),
            MetricFamily(
                name: "landing_tls_handshakes_total", help: "TLS handshakes, by result.", kind: .counter,
                samples: [
                    MetricSample(labels: [MetricLabel("result", "ok")], value: Double(handshakesOK.load(ordering: .relaxed))),
                    MetricSample(labels: [MetricLabel("result", "failed")], value: Double(handshakesFailed.load(ordering: .relaxed))),
                ]),
        ]
    }
}
