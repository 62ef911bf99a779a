/// The effective configuration of `oauth-landing serve`, after defaults, `--config` JSON,
/// `OAUTH_LANDING_*` environment variables and flags (in that order; later wins; a list is
/// replaced whole by the latest source that sets it).
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
    /// Developer conveniences: a self-signed certificate is created when none exists, and the
    /// listener defaults to 127.0.0.1 (it serves unauthenticated QA pages).
    public var dev = false
    /// Start even with `OAUTH_LANDING_*` variables no option reads (`--allow-unknown-env`).
    public var allowUnknownEnvironment = false
    /// Write one JSON access-log line per request on stdout.
    public var accessLog = true

    // MARK: Landing flow

    /// Where records live: `sqlite:PATH` (default `sqlite:data/landing.db`), `memory:`, or a
    /// PostgreSQL URI shared by several instances.
    public var store: StoreLocation = .sqlite(path: "data/landing.db")
    /// A file whose first line is the PostgreSQL password (`--store-password-file`); read at start.
    public var storePasswordFile: String? = nil
    /// Store connections (and threads) of a PostgreSQL store (`--store-pool`); SQLite uses one.
    public var storePool: Int = 2
    /// Under load, the longest a write waits for others to share its commit, in seconds
    /// (`--group-commit-wait`; 0 never waits). See `GroupCommitPolicy`.
    public var groupCommitWait: Double = 0.002
    /// Seconds to keep serving after SIGTERM with `/readyz` answering 503, before draining
    /// (`--drain-delay`), so a load balancer deregisters the instance first.
    public var drainDelay: Double = 0
    /// Records older than this many seconds are purged (default 7 days).
    public var retention: Double = 7 * 86_400
    /// Bearer keys accepted on `/v1/` (`--api-key`, repeatable). Secret: never printed or logged.
    public var apiKeys: [String] = []
    /// Default session lifetime in seconds (a connect token's 30 minutes).
    public var sessionTTL: Double = 1_800
    /// Prefixes a session's `returnUrl` must match (`--allowed-return-url`, repeatable).
    public var allowedReturnURLs: [String] = []
    /// The "return to app" link when a session has none (`--return-url`).
    public var returnURL: String? = nil
    /// Exact origins the desktop page posts its result to (`--opener-origin`, repeatable).
    public var openerOrigins: [String] = []
    /// Android application id for the `intent://` return link (`--android-package`).
    public var androidPackage: String? = nil
    /// Directory of the page templates and string catalogs (`--templates`); nil: found by
    /// `TemplateDirectoryResolver` (beside the executable, else `./templates`).
    public var templatesDirectory: String? = nil
    /// Path of the callback endpoint (`--callback-path`, default `/oauth/callback`).
    public var callbackPath = "/oauth/callback"

    // MARK: App-facing API, operations and QA

    /// A file of API keys, one per line (`--api-keys-file`); read at start and on SIGHUP, added to `apiKeys`.
    public var apiKeysFile: String? = nil
    /// Exact origins allowed to call `/v1` from a browser (`--cors-origin`, repeatable).
    public var corsOrigins: [String] = []
    /// Enables `POST /webhooks/pluggy`; requests must carry it in `X-Webhook-Secret`. Secret.
    public var webhookSecret: String? = nil
    /// A file whose first line is the webhook secret (`--webhook-secret-file`).
    public var webhookSecretFile: String? = nil
    /// The app's name on the landing page (`--app-name`).
    public var appName: String? = nil
    /// The landing page's accent colour (`--brand-color #RRGGBB`), contrast-checked.
    public var brandColor: String? = nil
    /// Pluggy's client id (`--pluggy-client-id`): with a secret, outcomes are confirmed against its API.
    public var pluggyClientId: String? = nil
    /// Pluggy's client secret (`--pluggy-client-secret`, better `OAUTH_LANDING_PLUGGY_CLIENT_SECRET`). Secret.
    public var pluggyClientSecret: String? = nil
    /// A file whose first line is Pluggy's client secret (`--pluggy-client-secret-file`).
    public var pluggyClientSecretFile: String? = nil
    /// Pluggy's API (`--pluggy-api-url`).
    public var pluggyAPIURL: String = "https://api.pluggy.ai"
    /// The only listener that serves `/metrics` (plain HTTP, meant for 127.0.0.1 or a private network);
    /// nil: no metrics endpoint. Never on the HTTPS listener.
    public var metricsListen: ListenAddress? = nil
    /// Load balancers that relay clients with the PROXY protocol (`--proxy-protocol-from`,
    /// repeatable; canonical CIDR text such as `10.0.0.0/8`). When set, the public listeners take
    /// connections from these only, each starting with a PROXY header naming the client; empty:
    /// no PROXY protocol at all.
    public var proxyProtocolFrom: [String] = []
    /// The QA page and QA-only overrides (`--qa`; on with `--dev`).
    public var qa = false

    // MARK: Abuse limits
    // Each default is far above what a real deployment reaches and far below what one abusive
    // client can ask for. For the counts, 0 means no limit.

    /// Open connections in total (`--max-connections`); 0: no limit.
    public var maxConnections: Int = 50_000
    /// Open connections from one client address (`--max-connections-per-address`); 0: no limit.
    /// Behind a TCP load balancer without PROXY protocol every client shares its address.
    public var maxConnectionsPerAddress: Int = 512
    /// New TLS handshakes per second, whole process, burst of the same size
    /// (`--max-handshakes-per-second`); 0: no limit.
    public var maxHandshakesPerSecond: Int = 2_000
    /// Callbacks one client address may make per minute (`--max-callbacks-per-address-per-minute`);
    /// more get 429. 0: no limit.
    public var maxCallbacksPerAddressPerMinute: Int = 300
    /// Long-polls waiting at once, in total (`--max-waiters`); 0: no limit.
    public var maxWaiters: Int = 20_000
    /// Long-polls waiting at once for one API key (`--max-waiters-per-key`); 0: no limit.
    public var maxWaitersPerKey: Int = 10_000
    /// Seconds a handler that owes a response may take (`--handler-timeout`, defence in depth);
    /// more than the longest long-poll (`SessionAPI.maxWait`, 60 s).
    public var handlerTimeout: Double = 90
    /// Seconds spent reading and discarding unread input after an error response before closing
    /// (`--linger-timeout`); 0: close at once.
    public var lingerTimeout: Double = 5
    /// Most bytes read and discarded while lingering (`--linger-max-bytes`); 0: close at once.
    public var lingerMaxBytes: Int = 1_048_576

    public init() {}
}

/// Where the landing records are kept.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// An SQLite database file (directories are created).
    case sqlite(path: String)
    /// In memory: lost on exit (tests, development).
    case memory
    /// A PostgreSQL database, which several instances may share.
    case postgres(PostgresLocation)

    /// The location as text; a PostgreSQL password is shown as `***`.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .memory: "memory:"
        case .postgres(let location): location.redacted
        }
    }
}
