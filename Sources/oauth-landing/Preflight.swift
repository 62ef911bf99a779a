import Foundation
import Glibc
import LandingCore
import LandingIO

/// Every check `serve` runs before it listens, in one place: `serve` runs it and stops on the
/// first error (then uses what it loaded: certificate, templates, keys, secrets), `check-config`
/// runs it and prints the report. So the two cannot disagree about whether a configuration starts.
///
/// The only differences are side effects, which `check-config` reports instead of doing: `serve
/// --dev` writes a missing development certificate and generates an API key; `serve` opens (and
/// creates, and migrates) the store and binds the listeners, where `check-config` probes the store
/// read-only (`StoreProbe`) and resolves the addresses without binding them (a running server
/// holds them).
struct Preflight {
    enum Mode {
        case serve
        case check
    }

    let mode: Mode
    /// The configuration with everything the checks worked out: the derived public URL in
    /// `--dev`, the API keys of the files and credentials, the secrets read from files, the
    /// store's password.
    private(set) var config: ServerConfig
    private(set) var report: ConfigCheckReport
    private(set) var tlsStore: TLSContextStore?
    private(set) var templateStore: TemplateStore?
    private(set) var logo: [UInt8]?
    private(set) var returnPolicy: ReturnURLPolicy?
    private(set) var pluggySecret: String?
    /// The API keys' sources, read again on SIGHUP.
    private(set) var apiKeySources: APIKeySources
    /// A development API key generated for this run (`serve --dev` without keys), to show once.
    private(set) var generatedAPIKey: String?

    /// Where API keys come from: the `--api-key` values, and files read at start and on reload
    /// (`--api-keys-file`, the `api-keys` credential).
    struct APIKeySources {
        var inline: [String]
        var files: [String]

        /// Every key, inline ones first, each once. Throws the first unreadable or invalid file.
        func load() throws(ConfigError) -> [String] {
            var keys = inline
            for file in files {
                let text: String
                do {
                    text = try String(contentsOfFile: file, encoding: .utf8)
                } catch {
                    throw .conflict("cannot read the API keys file \(file): \(Preflight.reason(error))")
                }
                for key in try APIKeysFile.parse(text, file: file) where !keys.contains(key) {
                    keys.append(key)
                }
            }
            return keys
        }
    }

    /// Runs every check on `config`. `environment` is the process's (for `$CREDENTIALS_DIRECTORY`);
    /// `boundPort` the port of a listener `serve` bound early (`--listen HOST:0`).
    init(config given: ServerConfig, mode: Mode, environment: [String: String], boundPort: Int? = nil) {
        self.mode = mode
        self.config = given
        self.report = ConfigCheckReport(config: given)
        self.apiKeySources = APIKeySources(inline: given.apiKeys, files: [])
        let credentials = SystemdCredentials(environment: environment)
        checkPublicURL(boundPort: boundPort)
        checkCertificate(credentials)
        checkAPIKeys(credentials)
        checkWebhookSecret(credentials)
        checkTemplates()
        checkReturnLinks()
        checkStore(credentials)
        checkPluggy(credentials)
        if mode == .check { checkAddresses() }
        if config.dev {
            report.add(.warning("dev", "--dev: QA pages and test callbacks are served without authentication; never use it in production"))
        } else if config.qa {
            report.add(.warning("qa", "--qa: the QA pages are public on this server; keep it to staging"))
        }
    }

    // MARK: - Checks

    private mutating func checkPublicURL(boundPort: Int?) {
        guard config.publicURL == nil else { return }
        guard config.dev else {
            report.add(.error("public-url", ServeCommand.publicURLMissing))
            return
        }
        let host = config.listen.host == "0.0.0.0" || config.listen.host == "::" ? "localhost" : config.listen.host
        let authority = host.contains(":") ? "[\(host)]" : host
        if let port = boundPort ?? (config.listen.port == 0 ? nil : config.listen.port) {
            config.publicURL = port == 443 ? "https://\(authority)" : "https://\(authority):\(port)"
            report.derive("public-url (derived by --dev)", config.publicURL!)
        } else {
            report.derive("public-url (derived by --dev)", "https://\(authority):<the port chosen at start>")
        }
    }

    private mutating func checkAPIKeys(_ credentials: SystemdCredentials) {
        if let file = config.apiKeysFile { apiKeySources.files.append(file) }
        if let file = credentials.path(of: "api-keys") {
            apiKeySources.files.append(file)
            report.derive("api-keys credential", file)
        }
        do {
            config.apiKeys = try apiKeySources.load()
        } catch {
            report.add(.error("api-keys", error.description))
            return
        }
        guard config.apiKeys.isEmpty else {
            report.derive("api-keys", "\(config.apiKeys.count) key\(config.apiKeys.count == 1 ? "" : "s")")
            return
        }
        guard config.dev else {
            report.add(.error("api-keys", "serve needs at least one API key for /v1/: --api-keys-file FILE (one key per line), --api-key KEY, or the systemd credential api-keys"))
            return
        }
        if mode == .serve {
            let key = "dev-" + Base64URL.encode(SystemRandom.bytes(24))
            config.apiKeys = [key]
            generatedAPIKey = key
        }
        report.derive("api-keys", "one development key generated at start (--dev)")
    }

    private mutating func checkWebhookSecret(_ credentials: SystemdCredentials) {
        var file = config.webhookSecretFile
        if config.webhookSecret == nil && file == nil, let credential = credentials.path(of: "webhook-secret") {
            file = credential
            report.derive("webhook-secret", "from the systemd credential \(credential)")
        }
        if let file {
            do {
                config.webhookSecret = try SecretFile.value(fileContents: try Self.read(file), kind: .webhookSecret, file: file)
            } catch let error as ConfigError {
                report.add(.error("webhook-secret", error.description))
            } catch {
                report.add(.error("webhook-secret", "cannot read the webhook secret from \(file): \(Self.reason(error))"))
            }
        }
        if config.webhookSecret == nil {
            report.add(
                .warning(
                    "webhook-secret",
                    "no webhook secret (--webhook-secret-file FILE): POST /webhooks/pluggy is off, so outcomes rest on the"
                        + " browser's callback (and Pluggy's API, with --pluggy-client-id)"))
        }
    }

    private mutating func checkCertificate(_ credentials: SystemdCredentials) {
        let defaults = ServerConfig()
        for (name, isDefault, apply) in [
            ("tls-cert", config.tlsCertificatePath == defaults.tlsCertificatePath, { (c: inout ServerConfig, p: String) in c.tlsCertificatePath = p }),
            ("tls-key", config.tlsKeyPath == defaults.tlsKeyPath, { (c: inout ServerConfig, p: String) in c.tlsKeyPath = p }),
        ] as [(String, Bool, (inout ServerConfig, String) -> Void)] {
            if isDefault, let path = credentials.path(of: name) {
                apply(&config, path)
                report.derive(name, "from the systemd credential \(path)")
            }
        }
        let fm = FileManager.default
        if config.dev && !fm.fileExists(atPath: config.tlsCertificatePath) && !fm.fileExists(atPath: config.tlsKeyPath) {
            guard let directory = Self.devCertificateDirectory(config) else {
                report.add(
                    .error(
                        "tls",
                        "--dev creates DIR/server.pem and DIR/server-key.pem; with other --tls-cert/--tls-key names,"
                            + " run 'oauth-landing dev-cert --out DIR' and rename"))
                return
            }
            guard mode == .serve else {
                report.derive("tls", "a self-signed development certificate will be created in \(directory)")
                return
            }
            do {
                try DevCertificate.write(to: directory)
                report.derive("tls", "created a self-signed development certificate in \(directory)")
            } catch {
                report.add(.error("tls", "cannot create a development certificate: \(error)", exitCode: 1))
                return
            }
        }
        do {
            let store = try TLSContextStore(certificatePath: config.tlsCertificatePath, keyPath: config.tlsKeyPath)
            tlsStore = store
            report.derive("certificate sha256", store.context.leafFingerprint)
            if let validity = store.context.leafValidity {
                report.derive("certificate expires", Timestamp.rfc3339(seconds: Int(validity.notAfter), nanoseconds: 0, fractionalDigits: false))
                let now = Int64(Date().timeIntervalSince1970)
                if let finding = CertificateExpiry.finding(
                    notBefore: validity.notBefore, notAfter: validity.notAfter, now: now, path: config.tlsCertificatePath)
                {
                    report.add(finding)
                }
            }
        } catch {
            let hint = config.dev ? "" : " (certificate chain at --tls-cert, key at --tls-key; see certs/README.md)"
            report.add(.error("tls", error.operation + Self.openSSLDetail(error) + hint))
        }
    }

    private mutating func checkTemplates() {
        let directory: String
        do {
            // --templates, else beside the installed executable, else ./templates.
            directory = try TemplateDirectory.resolve(explicit: config.templatesDirectory)
        } catch {
            report.add(.error("templates", "\(error)"))
            return
        }
        config.templatesDirectory = directory
        report.derive("templates", directory)
        do {
            let store = try TemplateStore(directory: directory)
            templateStore = store
            for problem in store.templates.servingProblems(qa: config.qa || config.dev) {
                report.add(.error("templates", "\(directory): \(problem)"))
            }
        } catch {
            report.add(.error("templates", "\(error)"))
            return
        }
        let path = (directory as NSString).appendingPathComponent("logo.png")
        guard FileManager.default.fileExists(atPath: path) else { return }
        guard let data = FileManager.default.contents(atPath: path) else {
            report.add(.error("templates", "cannot read \(path)"))
            return
        }
        let bytes = [UInt8](data)
        if let problem = LandingLogo.problem(with: bytes) {
            report.add(.error("templates", "\(path): \(problem)"))
        } else {
            logo = bytes
        }
    }

    private mutating func checkReturnLinks() {
        if !config.allowedReturnURLs.isEmpty {
            do {
                returnPolicy = try ReturnURLPolicy(allowedPrefixes: config.allowedReturnURLs)
            } catch {
                report.add(.error("allowed-return-url", "--allowed-return-url: \(error)"))
            }
        }
        // Mobile users can only get back to the app through a return link.
        if config.returnURL == nil && config.allowedReturnURLs.isEmpty {
            report.add(
                .warning(
                    "return-url",
                    "no --return-url and no --allowed-return-url (so no session can carry a returnUrl):"
                        + " mobile users get no return button, only a hint to switch back to the app"))
        }
        // A universal link / App Link on the landing page's own host opens in the browser, not the app.
        let landingHost = config.publicURL.flatMap { URLComponents(string: $0)?.host?.lowercased() }
        for candidate in [config.returnURL].compactMap({ $0 }) + config.allowedReturnURLs {
            guard let host = URLComponents(string: candidate)?.host?.lowercased(), host == landingHost else { continue }
            report.add(
                .warning(
                    "return-url",
                    "return link \(candidate) is on the landing page's own host (\(host)): iOS and Android open it"
                        + " in the browser, not the app; use another host for universal links / App Links"))
        }
    }

    private mutating func checkStore(_ credentials: SystemdCredentials) {
        if case .memory = config.store, !config.dev {
            report.add(.warning("store", "--store memory: keeps nothing across restarts; use a file or postgres:// in production"))
        }
        guard case .postgres(let location) = config.store else {
            if mode == .check { note(StoreProbe.probe(config.store)) }
            return
        }
        var passwordFile = config.storePasswordFile
        if passwordFile == nil, !location.hasPassword, let credential = credentials.path(of: "store-password") {
            passwordFile = credential
            report.derive("store password", "from the systemd credential \(credential)")
        }
        if let file = passwordFile {
            do {
                let contents = try String(contentsOfFile: file, encoding: .utf8)
                config.store = .postgres(try location.withPassword(fileContents: contents))
            } catch let error as PostgresLocationError {
                report.add(.error("store", "--store-password-file \(file): \(error.message)"))
                return
            } catch {
                report.add(.error("store", "cannot read the store password from \(file): \(Self.reason(error))"))
                return
            }
        }
        if mode == .check { note(StoreProbe.probe(config.store)) }
    }

    private mutating func note(_ outcome: StoreProbe.Outcome) {
        if let error = outcome.error { report.add(.error("store", error, exitCode: 1)) }
        if let note = outcome.note { report.derive("store", note) }
    }

    private mutating func checkPluggy(_ credentials: SystemdCredentials) {
        guard config.pluggyClientId != nil else { return }
        var secret = config.pluggyClientSecret
        var file = config.pluggyClientSecretFile
        if secret == nil && file == nil, let credential = credentials.path(of: "pluggy-client-secret") {
            file = credential
            report.derive("pluggy-client-secret", "from the systemd credential \(credential)")
        }
        if let file {
            do {
                secret = try SecretFile.value(fileContents: try Self.read(file), kind: .pluggyClientSecret, file: file)
            } catch let error as ConfigError {
                report.add(.error("pluggy", error.description))
                return
            } catch {
                report.add(.error("pluggy", "cannot read the Pluggy client secret from \(file): \(Self.reason(error))"))
                return
            }
        }
        guard let secret else {
            report.add(
                .error(
                    "pluggy",
                    "--pluggy-client-id needs the secret too: --pluggy-client-secret-file FILE, OAUTH_LANDING_PLUGGY_CLIENT_SECRET"
                        + " or the systemd credential pluggy-client-secret"))
            return
        }
        pluggySecret = secret
        do {
            _ = try HTTPSEndpoint(url: config.pluggyAPIURL)
            _ = try TLSClientContext(trust: .system)
        } catch {
            report.add(.error("pluggy", "--pluggy-api-url \(config.pluggyAPIURL): \(error)"))
        }
    }

    /// `check-config` only: each listen address must resolve (`serve` binds them; the bind errors
    /// come with `ListenFailureHint`).
    private mutating func checkAddresses() {
        let addresses = [("listen", config.listen)] + [("http-listen", config.httpListen), ("metrics-listen", config.metricsListen)]
            .compactMap { name, address in address.map { (name, $0) } }
        for (name, address) in addresses {
            do {
                _ = try SocketAddress.resolve(host: address.host, port: address.port)
            } catch {
                report.add(.error(name, "--\(name) \(address): \(error.reason ?? error.description)", exitCode: 1))
            }
        }
        if let metrics = config.metricsListen, !["127.0.0.1", "::1", "localhost"].contains(metrics.host) {
            report.add(
                .warning(
                    "metrics-listen",
                    "--metrics-listen \(metrics) is not a loopback address: /metrics has no authentication, keep that port private"))
        }
    }

    // MARK: - Helpers

    /// The directory `--dev` writes its certificate into, when the paths are DIR/server.pem and
    /// DIR/server-key.pem; nil otherwise.
    static func devCertificateDirectory(_ config: ServerConfig) -> String? {
        let directory = (config.tlsCertificatePath as NSString).deletingLastPathComponent
        let dir = directory.isEmpty ? "." : directory
        let expectedKey = (dir as NSString).appendingPathComponent("server-key.pem")
        guard (config.tlsCertificatePath as NSString).lastPathComponent == "server.pem",
            (config.tlsKeyPath as NSString).standardizingPath == (expectedKey as NSString).standardizingPath
        else { return nil }
        return dir
    }

    /// A secret file's text.
    static func read(_ file: String) throws -> String {
        try String(contentsOfFile: file, encoding: .utf8)
    }

    /// A file error in words ("No such file or directory"), without Foundation's wrapping.
    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }

    /// OpenSSL's own reasons after ours, for the operator who wants them.
    private static func openSSLDetail(_ error: TLSError) -> String {
        error.openSSLErrors.isEmpty ? "" : " [OpenSSL: \(error.openSSLErrors.joined(separator: "; "))]"
    }
}
