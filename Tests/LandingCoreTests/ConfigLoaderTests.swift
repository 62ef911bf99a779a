import Testing

@testable import LandingCore

/// What the in-memory `readFile` throws for a path it does not hold.
struct MissingTestFile: Error, CustomStringConvertible {
    let path: String
    var description: String { "no such file: \(path)" }
}

/// Parses with an in-memory file system (`files`: path → contents); nothing touches the disk.
func parseCommand(
    _ arguments: [String], environment: [String: String] = [:], files: [String: String] = [:]
) throws(ConfigError) -> Command {
    try ConfigLoader.parse(arguments: arguments, environment: environment) { path in
        guard let text = files[path] else { throw MissingTestFile(path: path) }
        return Array(text.utf8)
    }
}

/// The `ServerConfig` of a `serve` invocation; records an issue for any other command.
func serveConfig(
    _ arguments: [String], environment: [String: String] = [:], files: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> ServerConfig {
    let command = try parseCommand(arguments, environment: environment, files: files)
    guard case .serve(let config) = command else {
        Issue.record("expected serve, got \(command)", sourceLocation: sourceLocation)
        return ServerConfig()
    }
    return config
}

/// The error a parse throws, or nil (with an issue recorded) when it succeeds.
func parseError(
    _ arguments: [String], environment: [String: String] = [:], files: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation
) -> ConfigError? {
    do {
        let command = try parseCommand(arguments, environment: environment, files: files)
        Issue.record("expected an error, got \(command)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// The message of the error a parse throws ("" when it succeeds, with an issue recorded).
func parseErrorMessage(
    _ arguments: [String], environment: [String: String] = [:], files: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation
) -> String {
    parseError(arguments, environment: environment, files: files, sourceLocation: sourceLocation)?.description ?? ""
}

@Suite struct ConfigLoaderTests {
    /// No arguments, no environment, no file: `serve` with every documented default.
    @Test func configLoader_UsesDocumentedDefaults_WhenNothingIsGiven() throws {
        let config = try serveConfig([])
        #expect(config == ServerConfig())
        #expect(config.listen == ServerConfig.ListenAddress(host: "0.0.0.0", port: 8443))
        #expect(config.tlsCertificatePath == "certs/server.pem")
        #expect(config.tlsKeyPath == "certs/server-key.pem")
        #expect(config.httpListen == nil)
        #expect(config.publicURL == nil)
        #expect(config.logLevel == .info)
        #expect(config.shutdownGrace == 10)
        #expect(
            config.limits
                == HTTPParserLimits(
                    maxRequestLineBytes: 8192, maxHeaderBytes: 16384, maxHeaderCount: 100, maxBodyBytes: 65536))
        #expect(config.headerTimeout == 10)
        #expect(config.bodyTimeout == 10)
        #expect(config.idleTimeout == 60)
        #expect(config.threads == 0)
        #expect(config.dev == false)
        #expect(config.accessLog == true)
        #expect(config.store == .sqlite(path: "data/landing.db"))
        #expect(config.retention == 604_800)
        #expect(config.apiKeys.isEmpty)
        #expect(config.sessionTTL == 1_800)
        #expect(config.allowedReturnURLs.isEmpty)
        #expect(config.returnURL == nil)
        #expect(config.openerOrigins.isEmpty)
        #expect(config.androidPackage == nil)
        #expect(config.templatesDirectory == nil)
        #expect(config.callbackPath == "/oauth/callback")
    }

    /// A flag beats the environment variable for the same setting.
    @Test func configLoader_FlagOverridesEnvironment_WhenBothGiven() throws {
        let config = try serveConfig(
            ["--listen", "127.0.0.1:1"], environment: ["OAUTH_LANDING_LISTEN": "127.0.0.1:2"])
        #expect(config.listen.port == 1)
    }

    /// The environment beats the config file for the same setting.
    @Test func configLoader_EnvironmentOverridesFile_WhenBothGiven() throws {
        let config = try serveConfig(
            ["--config", "c.json"], environment: ["OAUTH_LANDING_HEADER_TIMEOUT": "2"],
            files: ["c.json": #"{"header-timeout": 1}"#])
        #expect(config.headerTimeout == 2)
    }

    /// Defaults < file < environment < flag, checked for several settings at once; each layer
    /// keeps what later layers do not set.
    @Test func configLoader_AppliesLayersInOrder_WhenEveryLayerSetsSomething() throws {
        let file = """
            {"listen": "10.0.0.1:1", "log-level": "debug", "threads": 3, "dev": true, "tls-cert": "file.pem"}
            """
        let environment = [
            "OAUTH_LANDING_LISTEN": "10.0.0.2:2", "OAUTH_LANDING_THREADS": "4", "OAUTH_LANDING_DEV": "0",
        ]
        let config = try serveConfig(
            ["--config", "c.json", "--threads", "5"], environment: environment, files: ["c.json": file])
        #expect(config.tlsCertificatePath == "file.pem")  // file only
        #expect(config.logLevel == .debug)  // file only
        #expect(config.listen == .init(host: "10.0.0.2", port: 2))  // env over file
        #expect(config.dev == false)  // env over file
        #expect(config.threads == 5)  // flag over env over file
        #expect(config.tlsKeyPath == "certs/server-key.pem")  // default
    }

    /// A boolean flag given on the command line beats `false` in the environment and the file.
    @Test func configLoader_DevFlagOverridesEnvironmentAndFile_WhenAllGiven() throws {
        let config = try serveConfig(
            ["--config", "c.json", "--dev"], environment: ["OAUTH_LANDING_DEV": "false"],
            files: ["c.json": #"{"dev": false}"#])
        #expect(config.dev)
    }

    /// `--access-log off` in a file is overridden by the environment, which a flag overrides again.
    @Test func configLoader_AccessLogFollowsPrecedence_WhenSetEverywhere() throws {
        let files = ["c.json": #"{"access-log": "off"}"#]
        let fromEnvironment = try serveConfig(
            ["--config", "c.json"], environment: ["OAUTH_LANDING_ACCESS_LOG": "on"], files: files)
        #expect(fromEnvironment.accessLog)
        let fromFlag = try serveConfig(
            ["--config", "c.json", "--access-log=off"], environment: ["OAUTH_LANDING_ACCESS_LOG": "on"],
            files: files)
        #expect(!fromFlag.accessLog)
    }

    /// Every setting is readable from its `OAUTH_LANDING_*` variable.
    @Test func configLoader_ReadsEverySetting_WhenGivenInEnvironment() throws {
        let environment = [
            "OAUTH_LANDING_LISTEN": "[::1]:9443", "OAUTH_LANDING_TLS_CERT": "c.pem",
            "OAUTH_LANDING_TLS_KEY": "k.pem", "OAUTH_LANDING_HTTP_LISTEN": "0.0.0.0:8080",
            "OAUTH_LANDING_PUBLIC_URL": "https://landing.example.com/", "OAUTH_LANDING_LOG_LEVEL": "warning",
            "OAUTH_LANDING_SHUTDOWN_GRACE": "2.5", "OAUTH_LANDING_MAX_REQUEST_LINE": "100",
            "OAUTH_LANDING_MAX_HEADER_BYTES": "200", "OAUTH_LANDING_MAX_HEADER_COUNT": "3",
            "OAUTH_LANDING_MAX_BODY_BYTES": "400", "OAUTH_LANDING_HEADER_TIMEOUT": "0.3",
            "OAUTH_LANDING_BODY_TIMEOUT": "0.4", "OAUTH_LANDING_IDLE_TIMEOUT": "0.5",
            "OAUTH_LANDING_THREADS": "2", "OAUTH_LANDING_DEV": "1", "OAUTH_LANDING_ACCESS_LOG": "off",
            "OAUTH_LANDING_STORE": "sqlite:/tmp/l.db", "OAUTH_LANDING_RETENTION": "86400",
            "OAUTH_LANDING_API_KEY": "key-one-0123456789,key-two-0123456789", "OAUTH_LANDING_SESSION_TTL": "60",
            "OAUTH_LANDING_ALLOWED_RETURN_URL": "https://app.example/done,myapp://done",
            "OAUTH_LANDING_RETURN_URL": "https://app.example/done/home",
            "OAUTH_LANDING_OPENER_ORIGIN": "https://app.example,http://127.0.0.1:3000",
            "OAUTH_LANDING_ANDROID_PACKAGE": "com.example.app", "OAUTH_LANDING_TEMPLATES": "t",
            "OAUTH_LANDING_CALLBACK_PATH": "/back",
        ]
        let config = try serveConfig([], environment: environment)
        #expect(config.listen == .init(host: "::1", port: 9443))
        #expect(config.tlsCertificatePath == "c.pem")
        #expect(config.tlsKeyPath == "k.pem")
        #expect(config.httpListen == .init(host: "0.0.0.0", port: 8080))
        #expect(config.publicURL == "https://landing.example.com")
        #expect(config.logLevel == .warning)
        #expect(config.shutdownGrace == 2.5)
        #expect(
            config.limits
                == HTTPParserLimits(
                    maxRequestLineBytes: 100, maxHeaderBytes: 200, maxHeaderCount: 3, maxBodyBytes: 400))
        #expect(config.headerTimeout == 0.3)
        #expect(config.bodyTimeout == 0.4)
        #expect(config.idleTimeout == 0.5)
        #expect(config.threads == 2)
        #expect(config.dev)
        #expect(!config.accessLog)
        #expect(config.store == .sqlite(path: "/tmp/l.db"))
        #expect(config.retention == 86_400)
        #expect(config.apiKeys == ["key-one-0123456789", "key-two-0123456789"])
        #expect(config.sessionTTL == 60)
        #expect(config.allowedReturnURLs == ["https://app.example/done", "myapp://done"])
        #expect(config.returnURL == "https://app.example/done/home")
        #expect(config.openerOrigins == ["https://app.example", "http://127.0.0.1:3000"])
        #expect(config.androidPackage == "com.example.app")
        #expect(config.templatesDirectory == "t")
        #expect(config.callbackPath == "/back")
    }

    /// `OAUTH_LANDING_DEV` accepts 1/true/0/false in any letter case.
    @Test(arguments: [("1", true), ("true", true), ("TRUE", true), ("0", false), ("false", false), ("False", false)])
    func configLoader_ParsesEnvironmentBoolean_WhenSpelledAnyAcceptedWay(text: String, expected: Bool) throws {
        let config = try serveConfig([], environment: ["OAUTH_LANDING_DEV": text])
        #expect(config.dev == expected)
    }

    /// Anything else in a boolean variable is an error naming the variable and the accepted words.
    @Test(arguments: ["yes", "", "2", "on"])
    func configLoader_RejectsEnvironmentBoolean_WhenNotAcceptedWord(text: String) {
        let message = parseErrorMessage([], environment: ["OAUTH_LANDING_DEV": text])
        #expect(message.contains("environment variable OAUTH_LANDING_DEV"))
        #expect(message.contains("expected 1, true, 0 or false"))
    }

    /// A bad environment value names the variable and the value.
    @Test func configLoader_NamesVariable_WhenEnvironmentValueIsBad() {
        let message = parseErrorMessage([], environment: ["OAUTH_LANDING_THREADS": "many"])
        #expect(
            message
                == "invalid value 'many' for environment variable OAUTH_LANDING_THREADS: expected a whole number of threads from 0 to 256"
        )
    }

    /// `OAUTH_LANDING_CONFIG` names the config file when there is no `--config`.
    @Test func configLoader_ReadsConfigFileFromEnvironment_WhenNoFlag() throws {
        let config = try serveConfig(
            [], environment: ["OAUTH_LANDING_CONFIG": "env.json"], files: ["env.json": #"{"threads": 7}"#])
        #expect(config.threads == 7)
    }

    /// `--config` beats `OAUTH_LANDING_CONFIG`; only the flag's file is read.
    @Test func configLoader_PrefersConfigFlag_WhenEnvironmentAlsoNamesFile() throws {
        let config = try serveConfig(
            ["--config", "flag.json"], environment: ["OAUTH_LANDING_CONFIG": "missing.json"],
            files: ["flag.json": #"{"threads": 8}"#])
        #expect(config.threads == 8)
    }

    /// Variables without the prefix are ignored; a prefixed variable that names no option (a typo) refuses the start with a suggestion, unless --allow-unknown-env.
    @Test func configLoader_RefusesUnknownPrefixedVariable_UnlessAllowed() throws {
        #expect(try serveConfig([], environment: ["PATH": "/bin", "LISTEN": "nope"]) == ServerConfig())
        #expect(
            parseErrorMessage([], environment: ["OAUTH_LANDING_WEBHOOK_SECRT": "x"])
                == "unknown environment variable OAUTH_LANDING_WEBHOOK_SECRT (did you mean OAUTH_LANDING_WEBHOOK_SECRET?);"
                + " unset it, or pass --allow-unknown-env if another tool shares the prefix")
        #expect(parseErrorMessage([], environment: ["OAUTH_LANDING_SOMETHING_ELSE": "x"]).hasPrefix("unknown environment variable OAUTH_LANDING_SOMETHING_ELSE;"))
        var expected = ServerConfig()
        expected.allowUnknownEnvironment = true
        #expect(try serveConfig(["--allow-unknown-env"], environment: ["OAUTH_LANDING_SOMETHING_ELSE": "x"]) == expected)
        #expect(try serveConfig([], environment: ["OAUTH_LANDING_SOMETHING_ELSE": "x", "OAUTH_LANDING_ALLOW_UNKNOWN_ENV": "1"]).allowUnknownEnvironment)
    }

    /// The HTTP listener may not take the HTTPS port on an overlapping address.
    @Test func configLoader_RejectsSharedPort_WhenHTTPListenOverlapsListen() {
        let message = parseErrorMessage(["--listen", "0.0.0.0:8443", "--http-listen", "127.0.0.1:8443"])
        #expect(message.contains("cannot share port 8443"))
        #expect(parseErrorMessage(["--http-listen", "[::]:8443"]).contains("cannot share port 8443"))
    }

    /// Distinct ports, distinct specific hosts, or port 0 on both are all fine.
    @Test func configLoader_AcceptsHTTPListen_WhenItDoesNotOverlap() throws {
        #expect(try serveConfig(["--http-listen", "0.0.0.0:8080"]).httpListen?.port == 8080)
        #expect(try serveConfig(["--listen", "127.0.0.1:8443", "--http-listen", "127.0.0.2:8443"]).httpListen != nil)
        #expect(try serveConfig(["--listen", "localhost:0", "--http-listen", "localhost:0"]).httpListen != nil)
    }

    /// `validate()` accepts the defaults and catches out-of-range values set in code, by setting name.
    @Test func serverConfigValidate_RejectsOutOfRangeValues_WhenBuiltInCode() throws {
        try ServerConfig().validate()
        var config = ServerConfig()
        config.headerTimeout = 0
        #expect(throws: ConfigError.self) { try config.validate() }
        config = ServerConfig()
        config.limits.maxBodyBytes = -1
        do {
            try config.validate()
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("setting max-body-bytes"))
        }
        config = ServerConfig()
        config.idleTimeout = .nan
        #expect(throws: ConfigError.self) { try config.validate() }
        config = ServerConfig()
        config.listen = .init(host: "bad host", port: 1)
        #expect(throws: ConfigError.self) { try config.validate() }
        config = ServerConfig()
        config.publicURL = "http://x.example"
        #expect(throws: ConfigError.self) { try config.validate() }
        config = ServerConfig()
        config.sessionTTL = 59
        #expect(throws: ConfigError.self) { try config.validate() }
        config = ServerConfig()
        config.callbackPath = "/v1/callback"
        #expect(throws: ConfigError.self) { try config.validate() }
    }
}
