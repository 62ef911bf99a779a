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
    /// Work bounds of every connection.
    let connectionLimits: ConnectionStateMachine.Limits
    /// Open connections per client address and in total.
    let admission: ConnectionAdmission
    /// New TLS handshakes per second, whole process.
    let handshakeRate: SharedTokenBucket
    /// `--proxy-protocol-from`: the balancers whose connections start with a PROXY protocol header;
    /// empty: no PROXY protocol. When set, the public listeners take connections from these only.
    let proxyProtocolFrom: [CIDRBlock]
    private let draining = Atomic<Bool>(false)

    init(config: ServerConfig, tlsStore: TLSContextStore?, logger: Logger) {
        self.config = config
        self.timeouts = ConnectionTimeouts(
            header: config.headerTimeout, body: config.bodyTimeout, idle: config.idleTimeout, handler: config.handlerTimeout,
            linger: config.lingerTimeout)
        self.connectionLimits = ConnectionStateMachine.Limits(lingerMaxBytes: max(0, config.lingerMaxBytes))
        self.admission = ConnectionAdmission(maxTotal: config.maxConnections, maxPerAddress: config.maxConnectionsPerAddress)
        let rate = Double(max(0, config.maxHandshakesPerSecond))
        self.handshakeRate = SharedTokenBucket(ratePerSecond: rate, burst: rate, now: monotonicNow())
        // why: the items were checked when the configuration was loaded (`ServerConfig.validate`);
        // one that somehow does not parse trusts nobody rather than everybody.
        self.proxyProtocolFrom = config.proxyProtocolFrom.compactMap { try? CIDRBlock(parsing: $0) }
        self.tlsStore = tlsStore
        self.logger = logger
        var random: UInt32 = 0
        _ = getrandom(&random, 4, 0)
        self.processTag = String(random, radix: 16) + "-"
    }

    var isDraining: Bool { draining.load(ordering: .relaxed) }
    func beginDraining() { draining.store(true, ordering: .relaxed) }

    func log(_ level: ServerConfig.LogLevel, _ message: String, _ metadata: LogMetadata = [:]) {
        logger.log(level, message, metadata)
    }

    /// Queues whole lines for stdout (the writer thread writes them; lines never interleave and a
    /// slow reader never stalls a loop: beyond the writer's bound lines are dropped and counted).
    func writeStdout(_ bytes: [UInt8]) {
        LogWriter.standardOutput.submit(bytes)
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
    let refusedTotal = Atomic<Int>(0)
    let refusedPerAddress = Atomic<Int>(0)
    let refusedHandshakeRate = Atomic<Int>(0)
    let refusedProxyUntrusted = Atomic<Int>(0)
    let refusedProxyInvalid = Atomic<Int>(0)

    func connectionOpened() { openConnections.add(1, ordering: .relaxed) }
    func connectionClosed() { openConnections.subtract(1, ordering: .relaxed) }
    func handshakeSucceeded() { handshakesOK.add(1, ordering: .relaxed) }
    func handshakeFailed() { handshakesFailed.add(1, ordering: .relaxed) }
    func connectionRefused(reason: String) {
        switch reason {
        case "max_connections": refusedTotal.add(1, ordering: .relaxed)
        case "max_connections_per_address": refusedPerAddress.add(1, ordering: .relaxed)
        case "proxy_protocol_untrusted": refusedProxyUntrusted.add(1, ordering: .relaxed)
        case "proxy_protocol_invalid": refusedProxyInvalid.add(1, ordering: .relaxed)
        default: refusedHandshakeRate.add(1, ordering: .relaxed)
        }
    }

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
            MetricFamily(
                name: "landing_connections_refused_total",
                help: "Connections closed by a limit or the PROXY protocol rules before any request, by limit.", kind: .counter,
                samples: [
                    MetricSample(labels: [MetricLabel("limit", "max_connections")], value: Double(refusedTotal.load(ordering: .relaxed))),
                    MetricSample(
                        labels: [MetricLabel("limit", "max_connections_per_address")], value: Double(refusedPerAddress.load(ordering: .relaxed))),
                    MetricSample(
                        labels: [MetricLabel("limit", "max_handshakes_per_second")], value: Double(refusedHandshakeRate.load(ordering: .relaxed))),
                    MetricSample(
                        labels: [MetricLabel("limit", "proxy_protocol_untrusted")], value: Double(refusedProxyUntrusted.load(ordering: .relaxed))),
                    MetricSample(
                        labels: [MetricLabel("limit", "proxy_protocol_invalid")], value: Double(refusedProxyInvalid.load(ordering: .relaxed))),
                ]),
            .single(
                "landing_log_lines_dropped_total", help: "Log lines dropped because the log reader was too slow.", kind: .counter,
                value: Double(LogWriter.standardOutput.droppedLines + LogWriter.standardError.droppedLines)),
        ]
    }
}
