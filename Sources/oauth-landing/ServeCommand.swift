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
        // why: before any thread starts (it unsets systemd's variables; unsetenv is not thread-safe),
        // and after the signal mask, so the log writer thread its warnings may start inherits it.
        var systemd = SystemdIntegration.take(logger: logger)
        systemd.adopt(into: &config)
        let fileLimit = raiseFileLimit()

        if config.dev { config.qa = true }
        // why: with --listen HOST:0 the port is known only once bound; bind now so a public URL
        // derived in --dev names the real port.
        var preboundHTTPS = systemd.listener(.https)
        if preboundHTTPS == nil && config.listen.port == 0 {
            do {
                preboundHTTPS = try ListeningSocket.bound(option: "listen", config.listen)
            } catch {
                fail(error.reason ?? "\(error)", code: 1)
            }
        }
        // The same checks as check-config; the first error stops the start with its exit status.
        let preflight = Preflight(
            config: config, mode: .serve, environment: ProcessInfo.processInfo.environment,
            boundPort: preboundHTTPS?.address.port)
        for warning in preflight.report.warnings {
            logger.warning(warning.message, ["check": warning.check])
        }
        if let error = preflight.report.errors.first {
            fail(error.message, code: error.exitCode)
        }
        config = preflight.config
        guard let tlsStore = preflight.tlsStore, let templateStore = preflight.templateStore else {
            fail("internal error: the start-up checks passed without a certificate or templates", code: 1)
        }
        if let key = preflight.generatedAPIKey {
            // why: shown once so a developer can copy it; a generated dev key is the one secret we
            // print on purpose, and only in --dev.
            logger.info("generated a development API key for this run", ["api_key": key])
        }
        for (name, value) in preflight.report.derived where name == "tls" || value.contains("credential") {
            logger.info(value, ["setting": name])
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
        // Status reads are served from memory for a store only this process writes (SQLite, memory):
        // every change is then one of its own commits. With PostgreSQL another instance's write
        // reaches us only as a notification, later than its client may read here, so no cache.
        let readCache: RecordReadCache?
        if case .postgres = config.store {
            readCache = nil
        } else {
            readCache = RecordReadCache(capacity: RecordReadCache.defaultCapacity, retention: config.retention)
        }
        // The store threads announce what each commit changed: the cached copies go, the waiters on
        // those records wake.
        let storeWorker = StoreWorker(
            stores: stores,
            hooks: StoreWorker.Hooks(
                onCommit: { changes in
                    readCache?.apply(changes)
                    waiters.notify(changes)
                },
                observeBatch: { storeMetrics.observeBatch(seconds: $0, writes: $1) },
                observeQueueWait: { storeMetrics.queueWait.observe($0) }),
            groupCommit: GroupCommitPolicy(maxWait: config.groupCommitWait, target: GroupCommitPolicy.target(for: config.store)))
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
        let confirmer = makePluggyConfirmer(store: storeWorker, secret: preflight.pluggySecret, logger: logger)
        var itemSeen: (@Sendable (String) -> Void)?
        if let confirmer { itemSeen = { id in confirmer.itemSeen(id) } }
        let returnPolicy = preflight.returnPolicy
        var settings = LandingSettings(
            publicURL: config.publicURL ?? "", callbackPath: config.callbackPath, returnURL: config.returnURL,
            openerOrigins: config.openerOrigins, androidPackage: config.androidPackage, sessionTTL: config.sessionTTL,
            returnURLPolicy: returnPolicy, apiKeys: config.apiKeys)
        settings.corsOrigins = config.corsOrigins
        settings.qa = config.qa
        settings.appName = config.appName
        settings.brandColor = config.brandColor.flatMap { try? BrandColor(parsing: $0) }
        settings.logoPNG = preflight.logo
        let apiKeys = APIKeyRing(config.apiKeys)
        let flowMetrics = LandingFlowMetrics()
        let landing = LandingService(
            settings: settings, store: storeWorker,
            environment: LandingEnvironment(now: SystemRandom.nowMillis, randomBytes: SystemRandom.bytes),
            templates: { templateStore.templates }, waiters: waiters, metrics: flowMetrics,
            callbackLimiter: CallbackRateLimiter(limit: config.maxCallbacksPerAddressPerMinute),
            itemSeen: itemSeen, events: LoggingLandingEvents(logger: logger), apiKeys: apiKeys, readCache: readCache)

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
            tlsStore: tlsStore, logger: logger, httpsListener: preboundHTTPS, httpListener: systemd.listener(.http),
            metricsListener: systemd.listener(.metrics))
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
            fail(error.reason ?? "\(error)", code: 1)
        }
        readiness.server = server
        var metadata: LogMetadata = [
            "version": version, "listen": server.httpsAddress?.description ?? "", "threads": config.threads,
            "certificate_sha256": tlsStore.context.leafFingerprint, "open_files_limit": fileLimit,
            "templates": templateStore.directory,
        ]
        if let http = server.httpAddress { metadata["http_listen"] = http.description }
        if let metrics = server.metricsAddress { metadata["metrics_listen"] = metrics.description }
        if let url = config.publicURL { metadata["public_url"] = url }
        logger.info("listening", metadata)
        systemd.ready(server: server)
        systemd.startWatchdog(server: server)

        while true {
            let signal = handled.withUnsafeBufferPointer { landing_wait_signal($0.baseAddress, Int32($0.count)) }
            switch signal {
            case SIGHUP:
                systemd.reloading()
                switch server.reloadCertificate() {
                case .success(let fingerprint):
                    logger.info("certificate reloaded", ["certificate_sha256": fingerprint])
                case .failure(let error):
                    logger.error("certificate reload failed; keeping the previous certificate", ["error": error.description])
                    systemd.reloadFailed("certificate")
                }
                switch templateStore.reload() {
                case .success:
                    logger.info("templates reloaded", ["directory": templateStore.directory])
                case .failure(let error):
                    logger.error("template reload failed; keeping the previous templates", ["error": error.description])
                    systemd.reloadFailed("templates")
                }
                if !preflight.apiKeySources.files.isEmpty {
                    do {
                        let keys = try preflight.apiKeySources.load()
                        if keys.isEmpty { throw ConfigError.conflict("no API key left in \(preflight.apiKeySources.files.joined(separator: ", "))") }
                        apiKeys.replace(with: keys)
                        logger.info("API keys reloaded", ["keys": keys.count])
                    } catch {
                        logger.error("API key reload failed; keeping the previous keys", ["error": "\(error)"])
                        systemd.reloadFailed("API keys")
                    }
                }
                systemd.reloaded(server: server)
            case SIGTERM, SIGINT:
                systemd.stopping(signal: signal == SIGTERM ? "SIGTERM" : "SIGINT")
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
    private func makePluggyConfirmer(store: StoreWorker, secret: String?, logger: Logger) -> PluggyConfirmer? {
        guard let clientId = config.pluggyClientId, let secret else { return nil }
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

    /// Why `serve` (and `check-config`) refuse a production configuration without `--public-url`.
    static let publicURLMissing =
        "serve needs --public-url https://HOST[:PORT] (the address browsers and Pluggy reach: session redirectUris"
        + " and redirects are built from it, never from the Host header)"

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
