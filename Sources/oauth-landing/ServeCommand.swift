import CLinux
import Foundation
import Glibc
import LandingCore
import LandingIO

/// `oauth-landing serve`: prepares the process (descriptors, signals, certificate), starts the
/// server, then turns SIGHUP into a reload and SIGTERM/SIGINT into a graceful drain and exit 0.
struct ServeCommand {
    var config: ServerConfig
    let version: String

    func run() -> Never {
        let logger = Logger(level: config.logLevel)
        var config = config
        // why: SIGPIPE would kill the process when a peer goes away mid-write; writes use
        // MSG_NOSIGNAL, and this covers any other descriptor.
        signal(SIGPIPE, SIG_IGN)
        // why: block the shutdown/reload signals before any thread starts, so every thread inherits
        // the mask and only this thread's sigwait receives them.
        let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP]
        _ = handled.withUnsafeBufferPointer { landing_block_signals($0.baseAddress, Int32($0.count)) }
        let fileLimit = raiseFileLimit()

        if config.dev {
            prepareDevCertificate()
            config.qa = true
        }
        if let file = config.apiKeysFile {
            do {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                for key in try APIKeysFile.parse(text, file: file) where !config.apiKeys.contains(key) {
                    config.apiKeys.append(key)
                }
            } catch let error as ConfigError {
                fail("\(error)")
            } catch {
                fail("--api-keys-file: cannot read \(file): \(error.localizedDescription)")
            }
        }
        // why: with --listen HOST:0 the port is known only once bound; bind now so a public URL
        // derived in --dev names the real port.
        var preboundHTTPS: ListeningSocket?
        if config.listen.port == 0 {
            do {
                preboundHTTPS = try ListeningSocket(address: SocketAddress.resolve(host: config.listen.host, port: 0))
            } catch {
                fail("\(error)", code: 1)
            }
        }
        if config.publicURL == nil {
            if !config.dev {
                fail(ServeCommand.publicURLMissing)
            }
            if config.dev {
                let host = config.listen.host == "0.0.0.0" || config.listen.host == "::" ? "localhost" : config.listen.host
                let port = preboundHTTPS?.address.port ?? config.listen.port
                let authority = host.contains(":") ? "[\(host)]" : host
                config.publicURL = port == 443 ? "https://\(authority)" : "https://\(authority):\(port)"
            } else if config.httpListen != nil {
                fail("--http-listen needs --public-url (the redirect target is never built from the Host header)")
            }
        }

        let tlsStore: TLSContextStore
        do {
            tlsStore = try TLSContextStore(certificatePath: config.tlsCertificatePath, keyPath: config.tlsKeyPath)
        } catch {
            fail("\(error)\nPut a certificate chain and key at --tls-cert/--tls-key (see certs/README.md), or run with --dev to create a self-signed one.")
        }

        if config.apiKeys.isEmpty {
            guard config.dev else {
                fail("serve needs at least one API key for /v1/ (--api-key KEY or --api-keys-file FILE); --dev generates one")
            }
            let key = "dev-" + Base64URL.encode(SystemRandom.bytes(24))
            config.apiKeys = [key]
            // why: shown once so a developer can copy it; a generated dev key is the one secret we
            // print on purpose, and only in --dev.
            logger.info("generated a development API key for this run", ["api_key": key])
        }
        let templateStore: TemplateStore
        do {
            templateStore = try TemplateStore(directory: config.templatesDirectory)
        } catch {
            fail("templates: \(error)")
        }
        if let file = config.storePasswordFile, case .postgres(let location) = config.store {
            do {
                let contents = try String(contentsOfFile: file, encoding: .utf8)
                config.store = .postgres(try location.withPassword(fileContents: contents))
            } catch let error as PostgresLocationError {
                fail("--store-password-file \(file): \(error.message)")
            } catch {
                fail("--store-password-file: cannot read \(file): \(error.localizedDescription)")
            }
        }
        let storeHealth = StoreHealth()
        let storeLog: @Sendable (String) -> Void = { line in logger.warning(line) }
        let stores: [any LandingStore]
        do {
            stores = try StoreFactory.makeStores(config.store, pool: config.storePool, health: storeHealth, log: storeLog)
        } catch {
            fail("store \(config.store): \(error)", code: 1)
        }
        let metricsRegistry = MetricsRegistry()
        let storeMetrics = StoreMetrics()
        // Long-poll deadlines run on the connections' loops (`RequestLifetime`); no timer thread.
        let waiters = RecordWaiters(limits: RecordWaiters.Limits(maxTotal: config.maxWaiters, maxPerOwner: config.maxWaitersPerKey))
        // The store threads announce what each commit changed: the waiters on those records wake.
        let storeWorker = StoreWorker(
            stores: stores,
            hooks: StoreWorker.Hooks(
                onCommit: { waiters.notify($0) },
                observeBatch: { storeMetrics.observeBatch(seconds: $0, writes: $1) },
                observeQueueWait: { storeMetrics.queueWait.observe($0) }))
        storeWorker.startPurging(every: 3600, retention: config.retention, clock: SystemRandom.nowMillis) { line in
            logger.info("purge", ["result": line])
        }
        // Other instances' commits arrive as notifications: the waiters on those records wake; after
        // a reconnect every waiter re-reads (what changed meanwhile is unknown).
        let listener: PostgresChangeListener?
        if case .postgres(let location) = config.store {
            listener = PostgresChangeListener(
                location: location, health: storeHealth, onChanges: { waiters.notify($0) },
                onReconnect: { waiters.notifyAll() }, log: storeLog)
            listener?.start()
        } else {
            listener = nil
        }
        let confirmer = makePluggyConfirmer(store: storeWorker, logger: logger)
        var itemSeen: (@Sendable (String) -> Void)?
        if let confirmer { itemSeen = { id in confirmer.itemSeen(id) } }
        var returnPolicy: ReturnURLPolicy?
        if !config.allowedReturnURLs.isEmpty {
            do {
                returnPolicy = try ReturnURLPolicy(allowedPrefixes: config.allowedReturnURLs)
            } catch {
                fail("--allowed-return-url: \(error)")
            }
        }
        var settings = LandingSettings(
            publicURL: config.publicURL ?? "", callbackPath: config.callbackPath, returnURL: config.returnURL,
            openerOrigins: config.openerOrigins, androidPackage: config.androidPackage, sessionTTL: config.sessionTTL,
            returnURLPolicy: returnPolicy, apiKeys: config.apiKeys)
        settings.corsOrigins = config.corsOrigins
        settings.qa = config.qa
        settings.appName = config.appName
        settings.brandColor = config.brandColor.flatMap { try? BrandColor(parsing: $0) }
        settings.logoPNG = loadLogo(directory: config.templatesDirectory)
        let flowMetrics = LandingFlowMetrics()
        let landing = LandingService(
            settings: settings, store: storeWorker,
            environment: LandingEnvironment(now: SystemRandom.nowMillis, randomBytes: SystemRandom.bytes),
            templates: { templateStore.templates }, waiters: waiters, metrics: flowMetrics,
            callbackLimiter: CallbackRateLimiter(limit: config.maxCallbacksPerAddressPerMinute),
            itemSeen: itemSeen, events: LoggingLandingEvents(logger: logger))

        let readiness = ServerReadiness(storeHealth: storeHealth)
        var router = Router<RouteHandler>()
        CoreRoutes.install(into: &router) { readiness.notReadyReason }
        landing.install(into: &router)
        WebhookService.install(into: &router, service: landing, secret: config.webhookSecret)
        // /metrics has no authentication, so it is never on the public HTTPS listener (there it is an
        // unknown path, 404): only on the plain --metrics-listen listener (meant for 127.0.0.1 or a
        // private network), and without --metrics-listen there is no metrics endpoint at all.
        let metricsApplication = config.metricsListen.map { _ in
            MetricsRoutes.application(registry: metricsRegistry, offload: MetricsEndpoint.offload)
        }
        let application = Application(router: router)
        let redirect = config.httpListen != nil ? HTTPSRedirect.application(publicURL: config.publicURL ?? "") : nil
        let server = Server(
            config: config, application: application, redirectApplication: redirect, metricsApplication: metricsApplication,
            tlsStore: tlsStore, logger: logger, httpsListener: preboundHTTPS)
        registerMetrics(in: metricsRegistry, server: server, flow: flowMetrics, waiters: waiters)
        let sharedHealth: StoreHealth? = listener == nil ? nil : storeHealth
        metricsRegistry.register {
            storeMetrics.families(
                health: sharedHealth, notificationsReceived: listener?.received, notificationQueueUsage: listener?.queueUsage,
                queued: storeWorker.queuedJobs)
        }
        if let confirmer {
            metricsRegistry.register {
                [
                    MetricFamily(
                        name: "landing_pluggy_checks_total", help: "Item checks against Pluggy's API, by how they ended.",
                        kind: .counter,
                        samples: PluggyConfirmer.CheckResult.allCases.map {
                            MetricSample(labels: [MetricLabel("result", $0.rawValue)], value: Double(confirmer.count($0)))
                        }),
                    .single(
                        "landing_pluggy_tracked_items", help: "Items followed until Pluggy's API gives their outcome.", kind: .gauge,
                        value: Double(confirmer.trackedCount)),
                ]
            }
        }
        metricsRegistry.register(MetricsEndpoint.processFamilies)
        do {
            try server.start()
        } catch {
            fail("\(error)", code: 1)
        }
        readiness.server = server
        var metadata: LogMetadata = [
            "version": version, "listen": server.httpsAddress?.description ?? "", "threads": config.threads,
            "certificate_sha256": tlsStore.context.leafFingerprint, "open_files_limit": fileLimit,
        ]
        if let http = server.httpAddress { metadata["http_listen"] = http.description }
        if let metrics = server.metricsAddress { metadata["metrics_listen"] = metrics.description }
        if let url = config.publicURL { metadata["public_url"] = url }
        logger.info("listening", metadata)

        while true {
            let signal = handled.withUnsafeBufferPointer { landing_wait_signal($0.baseAddress, Int32($0.count)) }
            switch signal {
            case SIGHUP:
                switch server.reloadCertificate() {
                case .success(let fingerprint):
                    logger.info("certificate reloaded", ["certificate_sha256": fingerprint])
                case .failure(let error):
                    logger.error("certificate reload failed; keeping the previous certificate", ["error": error.description])
                }
                switch templateStore.reload() {
                case .success:
                    logger.info("templates reloaded", ["directory": config.templatesDirectory])
                case .failure(let error):
                    logger.error("template reload failed; keeping the previous templates", ["error": error.description])
                }
            case SIGTERM, SIGINT:
                if config.drainDelay > 0 {
                    // Still accepting and answering; /readyz says 503 so the balancer moves away first.
                    readiness.drainRequested = true
                    logger.info("drain delay", ["seconds": config.drainDelay, "readyz": 503])
                    Thread.sleep(forTimeInterval: config.drainDelay)
                }
                server.beginDraining()
                // Long-polls are answered now with the current state; the drain then sends them.
                waiters.shutdownAll()
                logger.info("draining", ["signal": signal == SIGTERM ? "SIGTERM" : "SIGINT", "grace_seconds": config.shutdownGrace, "open_connections": server.openConnections])
                let left = server.shutdown(grace: config.shutdownGrace)
                listener?.stop()
                storeWorker.shutdown()
                logger.info("stopped", ["connections_cut": left])
                LogWriter.standardOutput.flush()
                LogWriter.standardError.flush()
                exit(0)
            default:
                continue
            }
        }
    }

    /// What `/metrics` exports first: the build; requests, connections and handshakes; callbacks,
    /// webhooks and sessions; long-polls waiting (the store and the process basics follow).
    private func registerMetrics(in registry: MetricsRegistry, server: Server, flow: LandingFlowMetrics, waiters: RecordWaiters) {
        let buildInfo = MetricFamily.buildInfo(version: version)
        registry.register { [buildInfo] }
        registry.register { server.metricFamilies() }
        registry.register { flow.families() }
        registry.register {
            [.single("landing_longpolls_waiting", help: "Long-poll requests waiting for a change.", kind: .gauge, value: Double(waiters.count))]
        }
    }

    /// `--pluggy-client-id` with its secret: a client for Pluggy's API (verifying its certificate
    /// against the system trust store) and the confirmer that follows items with it; nil without.
    private func makePluggyConfirmer(store: StoreWorker, logger: Logger) -> PluggyConfirmer? {
        guard let clientId = config.pluggyClientId else { return nil }
        var secret = config.pluggyClientSecret
        if let file = config.pluggyClientSecretFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                let line = text.split(whereSeparator: \.isNewline).first, !line.isEmpty
            else {
                fail("--pluggy-client-secret-file: cannot read a secret from the first line of \(file)")
            }
            secret = String(line)
        }
        guard let secret else { fail("--pluggy-client-id needs the Pluggy client secret") }
        let endpoint: HTTPSEndpoint
        let context: TLSClientContext
        do {
            endpoint = try HTTPSEndpoint(url: config.pluggyAPIURL)
            context = try TLSClientContext(trust: .system)
        } catch {
            fail("--pluggy-api-url \(config.pluggyAPIURL): \(error)")
        }
        let client = PluggyClient(
            configuration: PluggyClient.Configuration(
                endpoint: endpoint, credentials: PluggyCredentials(clientId: clientId, clientSecret: secret)),
            http: HTTPSClient(context: context))
        return PluggyConfirmer(
            client: client, store: store, horizon: config.sessionTTL, log: { line in logger.warning(line) })
    }

    /// `logo.png` in the templates directory, if there is one: a PNG of at most 256 KiB, served by
    /// the server itself (`LandingPage.logoPath`); anything else there stops the start.
    private func loadLogo(directory: String) -> [UInt8]? {
        let path = (directory as NSString).appendingPathComponent("logo.png")
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { fail("templates: cannot read \(path)") }
        let bytes = [UInt8](data)
        guard let problem = LandingLogo.problem(with: bytes) else { return bytes }
        fail("templates: \(path): \(problem)")
    }

    /// Why `serve` (and `check-config`) refuse a production configuration without `--public-url`.
    static let publicURLMissing =
        "serve needs --public-url https://HOST[:PORT] (the address browsers and Pluggy reach: session redirectUris"
        + " and redirects are built from it, never from the Host header); --dev derives one for a local run"

    /// Raises the soft descriptor limit to the hard limit (10,000+ connections need it).
    private func raiseFileLimit() -> UInt {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return UInt(limit.rlim_cur)
    }

    /// `--dev`: create a self-signed pair when neither file exists.
    private func prepareDevCertificate() {
        let fm = FileManager.default
        let certExists = fm.fileExists(atPath: config.tlsCertificatePath)
        let keyExists = fm.fileExists(atPath: config.tlsKeyPath)
        guard !certExists && !keyExists else { return }
        let directory = (config.tlsCertificatePath as NSString).deletingLastPathComponent
        let expectedKey = ((directory.isEmpty ? "." : directory) as NSString).appendingPathComponent("server-key.pem")
        guard (config.tlsCertificatePath as NSString).lastPathComponent == "server.pem",
            (config.tlsKeyPath as NSString).standardizingPath == (expectedKey as NSString).standardizingPath
        else {
            fail("--dev creates DIR/server.pem and DIR/server-key.pem; with other --tls-cert/--tls-key names, run 'oauth-landing dev-cert --out DIR' and rename")
        }
        do {
            try DevCertificate.write(to: directory.isEmpty ? "." : directory)
            Logger(level: config.logLevel).info("created a self-signed development certificate", ["path": config.tlsCertificatePath])
        } catch {
            fail("cannot create a development certificate: \(error)", code: 1)
        }
    }
}

/// `/readyz`'s answer: ready once the server listens, while the store's database can be reached,
/// and until SIGTERM (the drain delay and the drain answer 503).
final class ServerReadiness: @unchecked Sendable {  // why: every field is guarded by `lock`, or immutable.
    private let lock = NSLock()
    private var _server: Server?
    private var _drainRequested = false
    let storeHealth: StoreHealth

    init(storeHealth: StoreHealth) {
        self.storeHealth = storeHealth
    }

    var server: Server? {
        get { lock.withLock { _server } }
        set { lock.withLock { _server = newValue } }
    }
    var drainRequested: Bool {
        get { lock.withLock { _drainRequested } }
        set { lock.withLock { _drainRequested = newValue } }
    }
    /// Why `/readyz` says 503, or nil when ready.
    var notReadyReason: String? {
        guard let server else { return "starting" }
        if drainRequested || server.isDraining { return "draining" }
        if !storeHealth.isAvailable { return "database unreachable" }
        return nil
    }
}
