extension ConfigOption {
    /// Accepted `--max-request-line` values: up to 1 MiB.
    static let requestLineRange = 1...1_048_576
    /// Accepted `--max-header-bytes` values: up to 1 MiB.
    static let headerBytesRange = 1...1_048_576
    /// Accepted `--max-header-count` values.
    static let headerCountRange = 1...10_000
    /// Accepted `--max-body-bytes` values: up to 64 MiB.
    static let bodyBytesRange = 1...67_108_864
    /// Accepted `--header-timeout`, `--body-timeout`, `--idle-timeout`: 1 ms to one day.
    static let timeoutRange = 0.001...86_400.0
    /// Accepted `--shutdown-grace`: 0 (stop at once) to one day.
    static let shutdownGraceRange = 0.0...86_400.0
    /// Accepted `--threads` (0: one per CPU).
    static let threadsRange = 0...256
    /// Accepted `--retention`: one minute to ten years of 365 days.
    static let retentionRange = 60.0...315_360_000.0
    /// Accepted `--session-ttl`: one minute to one day.
    static let sessionTTLRange = 60.0...86_400.0
    /// Accepted `--max-connections`, `--max-connections-per-address`, `--max-waiters`,
    /// `--max-waiters-per-key` (0: no limit).
    static let connectionCountRange = 0...10_000_000
    /// Accepted `--max-handshakes-per-second` and `--max-callbacks-per-address-per-minute` (0: no limit).
    static let rateRange = 0...1_000_000
    /// Accepted `--handler-timeout`: more than the longest long-poll, at most one day.
    static let handlerTimeoutRange = Double(SessionAPI.maxWait)...86_400.0
    /// Accepted `--linger-timeout`: 0 (close at once) to ten minutes.
    static let lingerTimeoutRange = 0.0...600.0
    /// Accepted `--linger-max-bytes`: 0 (close at once) to 64 MiB.
    static let lingerBytesRange = 0...67_108_864
    /// Accepted `--store-pool`: PostgreSQL connections per instance.
    static let storePoolRange = 1...64
    /// Accepted `--group-commit-wait`: 0 (never wait) to 50 ms, past which a write's own latency
    /// would matter more than any commit it could share.
    static let groupCommitWaitRange = 0.0...0.05
    /// Accepted `--drain-delay`: 0 (drain at once) to ten minutes.
    static let drainDelayRange = 0.0...600.0

    /// Every option of `serve` and `check-config`, in usage and `effectiveDescription` order.
    /// To add a setting: add its `ServerConfig` field, one entry here (`list` for a repeatable
    /// one), and (for an API key, password or webhook secret) its name to `ServerConfig.secretKeys`.
    static let all: [ConfigOption] = [
        setting(
            "listen", .text, "HOST:PORT",
            "Address of the HTTPS listener. IPv6 goes in brackets ([::1]:8443); port 0 picks a free port.",
            apply: { (config, text) throws(ConfigValueError) in
                config.listen = try ConfigValueParser.listenAddress(text)
            }, read: { $0.listen.description }),
        setting(
            "tls-cert", .text, "FILE", "PEM certificate chain of the HTTPS listener, leaf first.",
            apply: { (config, text) throws(ConfigValueError) in
                config.tlsCertificatePath = try ConfigValueParser.path(text)
            }, read: { $0.tlsCertificatePath }),
        setting(
            "tls-key", .text, "FILE", "PEM private key of --tls-cert.",
            apply: { (config, text) throws(ConfigValueError) in
                config.tlsKeyPath = try ConfigValueParser.path(text)
            }, read: { $0.tlsKeyPath }),
        setting(
            "http-listen", .text, "HOST:PORT",
            "Also listen for plain HTTP there, answering every request with 308 to the HTTPS URL.",
            apply: { (config, text) throws(ConfigValueError) in
                config.httpListen = try ConfigValueParser.listenAddress(text)
            }, read: { $0.httpListen?.description }),
        setting(
            "public-url", .text, "URL",
            "External base URL (https only, also with --dev; no query, fragment or user info; a trailing"
                + " slash is dropped), e.g. https://landing.example.com. Unset: derived from --listen in --dev.",
            apply: { (config, text) throws(ConfigValueError) in
                config.publicURL = try ConfigValueParser.publicURL(text)
            }, read: { $0.publicURL }),
        ConfigOption(
            name: "config", kind: .text, valueName: "FILE",
            summary: "JSON object of settings, keyed by option name without the leading --, e.g. {\"listen\":"
                + " \"127.0.0.1:9443\", \"tls-cert\": \"x.pem\", \"dev\": true, \"header-timeout\": 5}."
                + " Keys starting with # are comments (\"#listen\" comments a setting out)."
                + " Relative paths in it are relative to the working directory.",
            target: .configFile),
        setting(
            "log-level", .text, "LEVEL",
            "Least severe level logged: "
                + ConfigText.list(ServerConfig.LogLevel.allCases.map(\.rawValue)) + ".",
            apply: { (config, text) throws(ConfigValueError) in
                config.logLevel = try ConfigValueParser.logLevel(text)
            }, read: { $0.logLevel.rawValue }),
        setting(
            "drain-delay", .decimal, "SECONDS",
            "After SIGTERM, keep accepting and answering for this long while /readyz answers 503, so a load"
                + " balancer stops sending traffic before the listener closes; then drain."
                + " 0 to \(ConfigText.decimal(drainDelayRange.upperBound)); 0 drains at once.",
            apply: { (config, text) throws(ConfigValueError) in
                config.drainDelay = try ConfigValueParser.seconds(text, in: drainDelayRange)
            }, read: { ConfigText.decimal($0.drainDelay) }),
        setting(
            "shutdown-grace", .decimal, "SECONDS",
            "Time in-flight requests get to finish after SIGTERM or SIGINT; 0 or more.",
            apply: { (config, text) throws(ConfigValueError) in
                config.shutdownGrace = try ConfigValueParser.seconds(text, in: shutdownGraceRange)
            }, read: { ConfigText.decimal($0.shutdownGrace) }),
        setting(
            "max-request-line", .integer, "BYTES",
            "Longest request line, 1 to \(requestLineRange.upperBound); longer requests get 414.",
            apply: { (config, text) throws(ConfigValueError) in
                config.limits.maxRequestLineBytes = try ConfigValueParser.integer(
                    text, in: requestLineRange, unit: "bytes")
            }, read: { String($0.limits.maxRequestLineBytes) }),
        setting(
            "max-header-bytes", .integer, "BYTES",
            "Largest header section, 1 to \(headerBytesRange.upperBound); larger requests get 431.",
            apply: { (config, text) throws(ConfigValueError) in
                config.limits.maxHeaderBytes = try ConfigValueParser.integer(
                    text, in: headerBytesRange, unit: "bytes")
            }, read: { String($0.limits.maxHeaderBytes) }),
        setting(
            "max-header-count", .integer, "N",
            "Most header fields, 1 to \(headerCountRange.upperBound); more get 431.",
            apply: { (config, text) throws(ConfigValueError) in
                config.limits.maxHeaderCount = try ConfigValueParser.integer(
                    text, in: headerCountRange, unit: "fields")
            }, read: { String($0.limits.maxHeaderCount) }),
        setting(
            "max-body-bytes", .integer, "BYTES",
            "Largest request body, 1 to \(bodyBytesRange.upperBound); larger requests get 413.",
            apply: { (config, text) throws(ConfigValueError) in
                config.limits.maxBodyBytes = try ConfigValueParser.integer(
                    text, in: bodyBytesRange, unit: "bytes")
            }, read: { String($0.limits.maxBodyBytes) }),
        setting(
            "header-timeout", .decimal, "SECONDS",
            "Time from a request's first byte (or the TLS handshake's start) to its complete header"
                + " section; more than 0 (e.g. 0.3).",
            apply: { (config, text) throws(ConfigValueError) in
                config.headerTimeout = try ConfigValueParser.seconds(text, in: timeoutRange)
            }, read: { ConfigText.decimal($0.headerTimeout) }),
        setting(
            "body-timeout", .decimal, "SECONDS",
            "Time to receive a whole body once its header section is in; more than 0.",
            apply: { (config, text) throws(ConfigValueError) in
                config.bodyTimeout = try ConfigValueParser.seconds(text, in: timeoutRange)
            }, read: { ConfigText.decimal($0.bodyTimeout) }),
        setting(
            "idle-timeout", .decimal, "SECONDS",
            "Time an idle keep-alive connection is kept open; more than 0.",
            apply: { (config, text) throws(ConfigValueError) in
                config.idleTimeout = try ConfigValueParser.seconds(text, in: timeoutRange)
            }, read: { ConfigText.decimal($0.idleTimeout) }),
        setting(
            "threads", .integer, "N",
            "Event-loop threads, 0 to \(threadsRange.upperBound); 0 means one per CPU.",
            apply: { (config, text) throws(ConfigValueError) in
                config.threads = try ConfigValueParser.integer(text, in: threadsRange, unit: "threads")
            }, read: { String($0.threads) }),
        setting(
            "dev", .boolean, "",
            "Developer mode: a self-signed certificate is created when none exists, QA pages are on, and"
                + " the listener defaults to 127.0.0.1 (--listen overrides). Takes no value"
                + " (--dev=false turns it off); 1, true, 0 or false in the environment and config file.",
            apply: { (config, text) throws(ConfigValueError) in
                config.dev = try ConfigValueParser.boolean(text)
            }, read: { $0.dev ? "true" : "false" }),
        setting(
            "allow-unknown-env", .boolean, "",
            "Start even when an OAUTH_LANDING_* environment variable names no option (by default such a"
                + " variable, most likely a typo, stops the start). Takes no value.",
            apply: { (config, text) throws(ConfigValueError) in
                config.allowUnknownEnvironment = try ConfigValueParser.boolean(text)
            }, read: { $0.allowUnknownEnvironment ? "true" : "false" }),
        setting(
            "access-log", .onOff, "on|off",
            "One JSON access-log line per request on standard output.",
            apply: { (config, text) throws(ConfigValueError) in
                config.accessLog = try ConfigValueParser.onOff(text)
            }, read: { $0.accessLog ? "on" : "off" }),

        // MARK: Landing flow
        setting(
            "store", .text, "sqlite:PATH|memory:|postgres://…",
            "Where records are kept: sqlite:PATH, an SQLite database file (its directories are created;"
                + " one instance only); memory:, lost on exit (tests, development); or"
                + " postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAMS] (also postgresql://; libpq URI syntax,"
                + " e.g. ?sslmode=verify-full&sslrootcert=FILE), a PostgreSQL database several instances share."
                + " The password is shown as ***; better give it with --store-password-file or PGPASSFILE.",
            apply: { (config, text) throws(ConfigValueError) in
                config.store = try ConfigValueParser.store(text)
            }, read: { $0.store.description }),
        setting(
            "store-password-file", .text, "FILE",
            "File whose first line is the PostgreSQL password (read at start), so it is not on the command"
                + " line; only with a postgres:// --store that has no password of its own.",
            apply: { (config, text) throws(ConfigValueError) in
                config.storePasswordFile = try ConfigValueParser.path(text)
            }, read: { $0.storePasswordFile }),
        setting(
            "store-pool", .integer, "N",
            "PostgreSQL connections (each with its own store thread) per instance,"
                + " \(storePoolRange.lowerBound) to \(storePoolRange.upperBound); the instance holds one more for"
                + " LISTEN. SQLite always uses one.",
            apply: { (config, text) throws(ConfigValueError) in
                config.storePool = try ConfigValueParser.integer(text, in: storePoolRange, unit: "connections")
            }, read: { String($0.storePool) }),
        setting(
            "group-commit-wait", .decimal, "SECONDS",
            "Under load (two or more writes expected within it), the longest a write waits for others to"
                + " share its commit (one transaction and one fsync for the lot); 0 to"
                + " \(ConfigText.decimal(groupCommitWaitRange.upperBound)), 0 never waits. A quiet server never waits.",
            apply: { (config, text) throws(ConfigValueError) in
                config.groupCommitWait = try ConfigValueParser.seconds(text, in: groupCommitWaitRange)
            }, read: { ConfigText.decimal($0.groupCommitWait) }),
        setting(
            "retention", .decimal, "SECONDS",
            "Records older than this are purged; \(ConfigText.decimal(retentionRange.lowerBound)) (a minute)"
                + " to \(ConfigText.decimal(retentionRange.upperBound)) (ten years). 604800 is 7 days.",
            apply: { (config, text) throws(ConfigValueError) in
                config.retention = try ConfigValueParser.seconds(text, in: retentionRange)
            }, read: { ConfigText.decimal($0.retention) }),
        list(
            "api-key", "KEY",
            "Bearer key accepted by the /v1/ session API: \(ConfigValueParser.apiKeyLength.lowerBound) to"
                + " \(ConfigValueParser.apiKeyLength.upperBound) visible ASCII characters, no spaces or commas."
                + " Secret: printed as **** and never repeated in messages. serve needs at least one key (from here,"
                + " --api-keys-file or the systemd credential api-keys); --dev generates one for the run.",
            parse: ConfigValueParser.apiKey, field: \.apiKeys),
        setting(
            "session-ttl", .decimal, "SECONDS",
            "Lifetime of a session created through the API when the request sets none,"
                + " \(ConfigText.decimal(sessionTTLRange.lowerBound)) to"
                + " \(ConfigText.decimal(sessionTTLRange.upperBound)).",
            apply: { (config, text) throws(ConfigValueError) in
                config.sessionTTL = try ConfigValueParser.seconds(text, in: sessionTTLRange)
            }, read: { ConfigText.decimal($0.sessionTTL) }),
        list(
            "allowed-return-url", "PREFIX",
            "Prefix a session's returnUrl must start with (same scheme, host and port; its path under the"
                + " prefix's, at a / boundary): an absolute URL with a host and no query, fragment or user"
                + " info; https or an app's own scheme (myapp://done), http only for localhost and 127.0.0.1;"
                + " never " + ConfigText.list(ReturnURLPolicy.forbiddenSchemes.sorted().map { $0 + ":" }) + ".",
            parse: ConfigValueParser.returnURLPrefix, field: \.allowedReturnURLs),
        setting(
            "return-url", .text, "URL",
            "The \"return to app\" link when a session has none; the rules of --allowed-return-url, but a"
                + " query is allowed. When prefixes are set, it must be allowed by one of them.",
            apply: { (config, text) throws(ConfigValueError) in
                config.returnURL = try ConfigValueParser.returnURL(text)
            }, read: { $0.returnURL }),
        list(
            "opener-origin", "ORIGIN",
            "Exact origin the desktop page may post its result to (window.opener), such as"
                + " https://app.example.com:8443: https, or http only for localhost and 127.0.0.1; no path"
                + " (a trailing / is dropped), no wildcard.",
            parse: ConfigValueParser.openerOrigin, field: \.openerOrigins),
        setting(
            "android-package", .text, "NAME",
            "Android application id (a Java package name like com.example.app) for the intent:// return link.",
            apply: { (config, text) throws(ConfigValueError) in
                config.androidPackage = try ConfigValueParser.androidPackage(text)
            }, read: { $0.androidPackage }),
        setting(
            "templates", .text, "DIR",
            "Directory of the page templates and string catalogs. None: ../" + TemplateDirectoryResolver.installedPath
                + " from the executable's directory (symlinks resolved) if it exists, else ./"
                + TemplateDirectoryResolver.workingDirectoryPath + "; check-config shows the one used.",
            apply: { (config, text) throws(ConfigValueError) in
                config.templatesDirectory = try ConfigValueParser.path(text)
            }, read: { $0.templatesDirectory }),
        setting(
            "callback-path", .text, "PATH",
            "Path of the OAuth callback endpoint (also PATH/SESSION-ID): segments of letters, digits, '.',"
                + " '_', '~' and '-', no trailing /; not under "
                + ConfigText.list(ConfigValueParser.reservedCallbackSegments.map { "/" + $0 }) + ".",
            apply: { (config, text) throws(ConfigValueError) in
                config.callbackPath = try ConfigValueParser.callbackPath(text)
            }, read: { $0.callbackPath }),
        setting(
            "api-keys-file", .text, "FILE",
            "File of API keys for /v1/, one per line (blank lines and lines starting with # ignored);"
                + " read at start and again on SIGHUP (key rotation without a restart), added to --api-key."
                + " Also read from the systemd credential api-keys.",
            apply: { (config, text) throws(ConfigValueError) in
                config.apiKeysFile = try ConfigValueParser.path(text)
            }, read: { $0.apiKeysFile }),
        list(
            "cors-origin", "ORIGIN",
            "Exact browser origin allowed to call /v1/ (CORS), like --opener-origin. None: no CORS headers.",
            parse: ConfigValueParser.openerOrigin, field: \.corsOrigins),
        setting(
            "webhook-secret", .text, "SECRET",
            "Enables POST /webhooks/pluggy; each request must carry it in X-Webhook-Secret."
                + " \(ConfigValueParser.apiKeyLength.lowerBound) to \(ConfigValueParser.apiKeyLength.upperBound)"
                + " visible ASCII characters. Secret: printed as ****.",
            apply: { (config, text) throws(ConfigValueError) in
                config.webhookSecret = try ConfigValueParser.apiKey(text)
            }, read: { $0.webhookSecret }),
        setting(
            "webhook-secret-file", .text, "FILE",
            "File whose first line is the webhook secret (read at start), so it is not on the command line."
                + " Also read from the systemd credential webhook-secret.",
            apply: { (config, text) throws(ConfigValueError) in
                config.webhookSecretFile = try ConfigValueParser.path(text)
            }, read: { $0.webhookSecretFile }),
        setting(
            "app-name", .text, "NAME",
            "The app's name, 1 to 60 characters: in the landing page's title and header, and on its return"
                + " button and hints (\"Return to NAME\"), so users recognise where they are.",
            apply: { (config, text) throws(ConfigValueError) in
                guard (1...60).contains(text.count), text.first != " ", text.last != " ",
                    text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) })
                else { throw ConfigValueError(reason: "expected 1 to 60 printable characters, no space at either end") }
                config.appName = text
            }, read: { $0.appName }),
        setting(
            "brand-color", .text, "#RRGGBB",
            "The landing page's accent (button, success icon, focus ring). Refused unless its button text"
                + " reaches 4.5:1 and it stands out 3:1 from the white card (WCAG 2.2 AA); dark mode uses it only"
                + " when it also stands out from the dark card.",
            apply: { (config, text) throws(ConfigValueError) in
                do throws(BrandColorError) {
                    config.brandColor = try BrandColor(parsing: text).hex
                } catch {
                    throw ConfigValueError(reason: error.message)
                }
            }, read: { $0.brandColor }),
        setting(
            "pluggy-client-id", .text, "ID",
            "Pluggy client id: with a client secret, every callback's and webhook's item is confirmed against"
                + " Pluggy's API (GET /items/{id}), re-checked while pending. None: webhooks are the only confirmation.",
            apply: { (config, text) throws(ConfigValueError) in
                config.pluggyClientId = try ConfigValueParser.pluggyCredential(text)
            }, read: { $0.pluggyClientId }),
        setting(
            "pluggy-client-secret", .text, "SECRET",
            "Pluggy client secret; prefer --pluggy-client-secret-file or the environment variable. Secret: printed as ****.",
            apply: { (config, text) throws(ConfigValueError) in
                config.pluggyClientSecret = try ConfigValueParser.pluggyCredential(text, secret: true)
            }, read: { $0.pluggyClientSecret }),
        setting(
            "pluggy-client-secret-file", .text, "FILE",
            "File whose first line is the Pluggy client secret (read at start).",
            apply: { (config, text) throws(ConfigValueError) in
                config.pluggyClientSecretFile = try ConfigValueParser.path(text)
            }, read: { $0.pluggyClientSecretFile }),
        setting(
            "pluggy-api-url", .text, "URL",
            "Pluggy's API base, https only; its certificate is verified against the system trust store"
                + " (SSL_CERT_FILE/SSL_CERT_DIR respected) and its host name, always.",
            apply: { (config, text) throws(ConfigValueError) in
                do {
                    _ = try HTTPSEndpoint(url: text)
                } catch {
                    throw ConfigValueError(reason: "expected an https:// URL with a host (e.g. https://api.pluggy.ai)")
                }
                config.pluggyAPIURL = text
            }, read: { $0.pluggyAPIURL }),
        setting(
            "metrics-listen", .text, "HOST:PORT",
            "Serve /metrics on this separate plain-HTTP listener (keep it local); /metrics is never on the HTTPS one, and without this there is none.",
            apply: { (config, text) throws(ConfigValueError) in
                config.metricsListen = try ConfigValueParser.listenAddress(text)
            }, read: { $0.metricsListen?.description }),
        list(
            "proxy-protocol-from", "CIDR",
            "A TCP load balancer (address or block: 10.0.0.0/8, 192.0.2.7, fd00::/8) that relays clients with"
                + " the PROXY protocol (v1 or v2). When set, the HTTPS and --http-listen listeners take connections"
                + " from these only, each starting with a PROXY header whose client address is used for logs and"
                + " limits; others are closed at once. None: no PROXY protocol.",
            parse: ConfigValueParser.cidrBlock, field: \.proxyProtocolFrom),
        setting(
            "qa", .boolean, "",
            "QA mode: the /qa page of test callbacks and the qa_device/qa_lang overrides (on with --dev).",
            apply: { (config, text) throws(ConfigValueError) in
                config.qa = try ConfigValueParser.boolean(text)
            }, read: { $0.qa ? "true" : "false" }),

        // MARK: Abuse limits (far above a real deployment, far below one abusive client)
        setting(
            "max-connections", .integer, "N",
            "Most connections open at once; more are refused. 0 to"
                + " \(connectionCountRange.upperBound); 0 means no limit.",
            apply: { (config, text) throws(ConfigValueError) in
                config.maxConnections = try ConfigValueParser.integer(
                    text, in: connectionCountRange, unit: "connections")
            }, read: { String($0.maxConnections) }),
        setting(
            "max-connections-per-address", .integer, "N",
            "Most connections open at once from one client address; 0 to \(connectionCountRange.upperBound),"
                + " 0 means no limit. Behind a TCP load balancer without PROXY protocol (--proxy-protocol-from)"
                + " every client shares the balancer's address: raise it or set 0 there.",
            apply: { (config, text) throws(ConfigValueError) in
                config.maxConnectionsPerAddress = try ConfigValueParser.integer(
                    text, in: connectionCountRange, unit: "connections")
            }, read: { String($0.maxConnectionsPerAddress) }),
        setting(
            "max-handshakes-per-second", .integer, "N",
            "New TLS handshakes per second for the whole process (a burst of N at once); new connections"
                + " beyond it are refused. 0 to \(rateRange.upperBound); 0 means no limit.",
            apply: { (config, text) throws(ConfigValueError) in
                config.maxHandshakesPerSecond = try ConfigValueParser.integer(
                    text, in: rateRange, unit: "handshakes")
            }, read: { String($0.maxHandshakesPerSecond) }),
        setting(
            "max-callbacks-per-address-per-minute", .integer, "N",
            "Callbacks one client address may make per minute; more get 429 with Retry-After."
                + " 0 to \(rateRange.upperBound); 0 means no limit.",
            apply: { (config, text) throws(ConfigValueError) in
                config.maxCallbacksPerAddressPerMinute = try ConfigValueParser.integer(
                    text, in: rateRange, unit: "callbacks")
            }, read: { String($0.maxCallbacksPerAddressPerMinute) }),
        setting(
            "max-waiters", .integer, "N",
            "Most long-polls (Prefer: wait) waiting at once; more are refused."
                + " 0 to \(connectionCountRange.upperBound); 0 means no limit.",
            apply: { (config, text) throws(ConfigValueError) in
                config.maxWaiters = try ConfigValueParser.integer(text, in: connectionCountRange, unit: "waiters")
            }, read: { String($0.maxWaiters) }),
        setting(
            "max-waiters-per-key", .integer, "N",
            "Most long-polls waiting at once for one API key. 0 to \(connectionCountRange.upperBound);"
                + " 0 means no limit.",
            apply: { (config, text) throws(ConfigValueError) in
                config.maxWaitersPerKey = try ConfigValueParser.integer(
                    text, in: connectionCountRange, unit: "waiters")
            }, read: { String($0.maxWaitersPerKey) }),
        setting(
            "handler-timeout", .decimal, "SECONDS",
            "Deadline of a handler that still owes its response (defence in depth: the request fails and"
                + " the connection is closed); more than \(SessionAPI.maxWait), the longest long-poll, at most"
                + " \(ConfigText.decimal(handlerTimeoutRange.upperBound)).",
            apply: { (config, text) throws(ConfigValueError) in
                config.handlerTimeout = try ConfigValueParser.seconds(
                    text, above: handlerTimeoutRange, why: "the longest long-poll")
            }, read: { ConfigText.decimal($0.handlerTimeout) }),
        setting(
            "linger-timeout", .decimal, "SECONDS",
            "After an error response with request bytes still unread, time spent reading and discarding"
                + " them before closing (so the client sees the response, not a reset); 0 to"
                + " \(ConfigText.decimal(lingerTimeoutRange.upperBound)), 0 closes at once.",
            apply: { (config, text) throws(ConfigValueError) in
                config.lingerTimeout = try ConfigValueParser.seconds(text, in: lingerTimeoutRange)
            }, read: { ConfigText.decimal($0.lingerTimeout) }),
        setting(
            "linger-max-bytes", .integer, "BYTES",
            "Most bytes read and discarded while lingering; 0 to \(lingerBytesRange.upperBound),"
                + " 0 closes at once.",
            apply: { (config, text) throws(ConfigValueError) in
                config.lingerMaxBytes = try ConfigValueParser.integer(text, in: lingerBytesRange, unit: "bytes")
            }, read: { String($0.lingerMaxBytes) }),
    ]

    /// A table entry for a `ServerConfig` field.
    private static func setting(
        _ name: String, _ kind: Kind, _ valueName: String, _ summary: String,
        apply: @escaping @Sendable (inout ServerConfig, String) throws(ConfigValueError) -> Void,
        read: @escaping @Sendable (ServerConfig) -> String?
    ) -> ConfigOption {
        ConfigOption(
            name: name, kind: kind, valueName: valueName, summary: summary,
            target: .setting(apply: apply, read: read))
    }

    /// A table entry for a repeatable `[String]` field of `ServerConfig` (JSON: a string or an
    /// array of strings), stored at `field`. `parse` checks one item; commas are refused before it runs.
    private static func list(
        _ name: String, _ valueName: String, _ summary: String,
        parse: @escaping @Sendable (String) throws(ConfigValueError) -> String,
        field: WritableKeyPath<ServerConfig, [String]> & Sendable
    ) -> ConfigOption {
        ConfigOption(
            name: name, kind: .text, valueName: valueName, summary: summary,
            target: .list(
                parse: { (text) throws(ConfigValueError) in try ConfigValueParser.listItem(text, parse) },
                read: { $0[keyPath: field] }, write: { $0[keyPath: field] = $1 }))
    }
}
