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

    /// Every option of `serve` and `check-config`, in usage and `effectiveDescription` order.
    /// To add a setting: add its `ServerConfig` field, one entry here, and (for an API key,
    /// password or webhook secret) its name to `ServerConfig.secretKeys`.
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
            summary: "JSON object of settings, keyed by option name without dashes, e.g. {\"listen\":"
                + " \"127.0.0.1:9443\", \"tls-cert\": \"x.pem\", \"dev\": true, \"header-timeout\": 5}."
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
            "Developer mode: a self-signed certificate is created when none exists. Takes no value"
                + " (--dev=false turns it off); 1, true, 0 or false in the environment and config file.",
            apply: { (config, text) throws(ConfigValueError) in
                config.dev = try ConfigValueParser.boolean(text)
            }, read: { $0.dev ? "true" : "false" }),
        setting(
            "access-log", .onOff, "on|off",
            "One JSON access-log line per request on standard output.",
            apply: { (config, text) throws(ConfigValueError) in
                config.accessLog = try ConfigValueParser.onOff(text)
            }, read: { $0.accessLog ? "on" : "off" }),
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
}
