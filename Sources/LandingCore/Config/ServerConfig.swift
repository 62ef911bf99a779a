/// The effective configuration of `oauth-landing serve`, after defaults, `--config` JSON,
/// `OAUTH_LANDING_*` environment variables and flags (in that order; later wins).
public struct ServerConfig: Sendable, Equatable {
    /// A `HOST:PORT` pair (`0.0.0.0:8443`, `[::1]:8443`, `localhost:0`).
    public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public enum LogLevel: String, Sendable, Equatable, CaseIterable, Comparable {
        case debug, info, notice, warning, error
        public static func < (a: LogLevel, b: LogLevel) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    public var listen = ListenAddress(host: "0.0.0.0", port: 8443)
    public var tlsCertificatePath = "certs/server.pem"
    public var tlsKeyPath = "certs/server-key.pem"
    /// Optional plain-HTTP listener that answers 308 to the HTTPS URL.
    public var httpListen: ListenAddress? = nil
    /// The external base URL (`https://landing.example.com`); nil → derived from `listen` in dev.
    public var publicURL: String? = nil
    public var logLevel: LogLevel = .info
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    public var shutdownGrace: Double = 10
    public var limits = HTTPParserLimits.default
    /// Seconds from a request's first byte (or the TLS handshake's start) to its complete header section.
    public var headerTimeout: Double = 10
    /// Seconds to receive a whole body once its header section is in.
    public var bodyTimeout: Double = 10
    /// Seconds an idle keep-alive connection is kept open.
    public var idleTimeout: Double = 60
    /// Event-loop threads; 0 → one per CPU.
    public var threads: Int = 0
    /// Developer conveniences: a self-signed certificate is created when none exists.
    public var dev = false
    /// Write one JSON access-log line per request on stdout.
    public var accessLog = true

    public init() {}
}
