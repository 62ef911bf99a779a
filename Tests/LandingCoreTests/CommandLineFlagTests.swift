import Testing

@testable import LandingCore

@Suite struct CommandLineFlagTests {
    /// Every flag of serve sets its field, in the `--flag value` form.
    @Test func commandLine_SetsEveryField_WhenEachFlagGiven() throws {
        let config = try serveConfig([
            "--listen", "127.0.0.1:9443", "--tls-cert", "c.pem", "--tls-key", "k.pem",
            "--http-listen", "[::1]:8080", "--public-url", "https://landing.example.com/",
            "--log-level", "notice", "--shutdown-grace", "1.5", "--max-request-line", "4096",
            "--max-header-bytes", "8192", "--max-header-count", "50", "--max-body-bytes", "1024",
            "--header-timeout", "0.3", "--body-timeout", "0.3", "--idle-timeout", "0.3", "--threads", "2",
            "--dev", "--access-log", "off", "--store", "memory:", "--retention", "3600",
            "--api-key", "k1-0123456789abcdef", "--session-ttl", "600",
            "--allowed-return-url", "myapp://done", "--return-url", "myapp://done/ok?x=1",
            "--opener-origin", "https://app.example.com/", "--android-package", "com.example.app",
            "--templates", "tpl", "--callback-path", "/cb",
        ])
        var expected = ServerConfig()
        expected.listen = .init(host: "127.0.0.1", port: 9443)
        expected.tlsCertificatePath = "c.pem"
        expected.tlsKeyPath = "k.pem"
        expected.httpListen = .init(host: "::1", port: 8080)
        expected.publicURL = "https://landing.example.com"
        expected.logLevel = .notice
        expected.shutdownGrace = 1.5
        expected.limits = HTTPParserLimits(
            maxRequestLineBytes: 4096, maxHeaderBytes: 8192, maxHeaderCount: 50, maxBodyBytes: 1024)
        expected.headerTimeout = 0.3
        expected.bodyTimeout = 0.3
        expected.idleTimeout = 0.3
        expected.threads = 2
        expected.dev = true
        expected.accessLog = false
        expected.store = .memory
        expected.retention = 3600
        expected.apiKeys = ["k1-0123456789abcdef"]
        expected.sessionTTL = 600
        expected.allowedReturnURLs = ["myapp://done"]
        expected.returnURL = "myapp://done/ok?x=1"
        expected.openerOrigins = ["https://app.example.com"]
        expected.androidPackage = "com.example.app"
        expected.templatesDirectory = "tpl"
        expected.callbackPath = "/cb"
        #expect(config == expected)
    }

    /// Each flag also works as `--flag=value`, with the same result as `--flag value`, and sets its field.
    @Test(arguments: [
        ("listen", "[::]:0"), ("tls-cert", "a.pem"), ("tls-key", "b.pem"), ("http-listen", "localhost:80"),
        ("public-url", "https://x.example"), ("log-level", "warning"), ("shutdown-grace", "0"),
        ("max-request-line", "1"), ("max-header-bytes", "1"), ("max-header-count", "1"),
        ("max-body-bytes", "1"), ("header-timeout", "0.001"), ("body-timeout", "86400"),
        ("idle-timeout", "7"), ("threads", "0"), ("access-log", "on"), ("store", "sqlite:/var/lib/l.db"),
        ("retention", "60"), ("api-key", "0123456789abcdef"), ("session-ttl", "86400"),
        ("allowed-return-url", "https://app.example/done"), ("return-url", "https://app.example/done?a=b"),
        ("opener-origin", "http://localhost:3000"), ("android-package", "com.example.app"),
        ("templates", "/srv/tpl"), ("callback-path", "/oauth/cb"),
        ("max-connections", "0"), ("max-connections-per-address", "3"), ("max-handshakes-per-second", "10"),
        ("max-callbacks-per-address-per-minute", "3"), ("max-waiters", "7"), ("max-waiters-per-key", "0"),
        ("handler-timeout", "60.5"), ("linger-timeout", "0"), ("linger-max-bytes", "65536"),
    ])
    func commandLine_TreatsEqualsFormLikeSpacedForm_ForEachFlag(name: String, value: String) throws {
        let spaced = try serveConfig(["--" + name, value])
        #expect(try serveConfig(["--\(name)=\(value)"]) == spaced)
        let option = try #require(ConfigOption.all.first { $0.name == name })
        switch option.target {
        case .setting(_, let read): #expect(read(spaced) == value)
        case .list(_, let read, _): #expect(read(spaced) == [value])
        case .configFile: Issue.record("\(name) is not a setting")
        }
    }

    /// Every log level name is accepted.
    @Test(arguments: ServerConfig.LogLevel.allCases)
    func commandLine_AcceptsLogLevel_ForEveryLevel(level: ServerConfig.LogLevel) throws {
        #expect(try serveConfig(["--log-level", level.rawValue]).logLevel == level)
    }

    /// Log levels are exact lower-case names.
    @Test func commandLine_RejectsLogLevel_WhenNotLowerCase() {
        #expect(parseErrorMessage(["--log-level", "DEBUG"]).contains("expected debug, info, notice, warning or error"))
    }

    /// `--access-log on|off` sets the access log both ways.
    @Test func commandLine_SetsAccessLog_WhenOnOrOff() throws {
        #expect(try !serveConfig(["--access-log", "off"]).accessLog)
        #expect(try serveConfig(["--access-log", "off", "--access-log", "on"]).accessLog)
    }

    /// `--config` is accepted by check-config as well as serve.
    @Test func commandLine_ReadsConfigFile_ForCheckConfig() throws {
        let command = try parseCommand(["check-config", "--config=c.json"], files: ["c.json": #"{"dev": true}"#])
        var expected = ServerConfig()
        expected.dev = true
        expected.listen.host = "127.0.0.1"
        #expect(command == .checkConfig(expected))
    }

    /// The option table has one entry per flag name, and every one reads from its environment variable.
    @Test func configOptionTable_HasUniqueNamesAndDerivedVariables() {
        let names = ConfigOption.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(ConfigOption.all.first { $0.name == "tls-cert" }?.environmentName == "OAUTH_LANDING_TLS_CERT")
        #expect(
            ConfigOption.all.first { $0.name == "max-body-bytes" }?.environmentName == "OAUTH_LANDING_MAX_BODY_BYTES")
        #expect(ConfigOption.all.first { $0.name == "config" }?.environmentName == "OAUTH_LANDING_CONFIG")
    }

    /// Every setting's effective value reads back as text its own parser accepts (round trip).
    @Test func configOptionTable_ReadsBackParsableText_ForEverySetting() throws {
        var config = ServerConfig()
        config.httpListen = .init(host: "::1", port: 8080)
        config.publicURL = "https://x.example/p"
        config.headerTimeout = 0.1 + 0.2
        config.apiKeys = ["0123456789abcdef", "fedcba9876543210"]
        config.allowedReturnURLs = ["https://app.example/done", "myapp://done"]
        config.returnURL = "myapp://done?x=1"
        config.openerOrigins = ["https://app.example:8443"]
        config.androidPackage = "com.example.app"
        config.corsOrigins = ["https://app.example"]
        config.proxyProtocolFrom = ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"]
        for option in ConfigOption.all {
            switch option.target {
            case .configFile:
                continue
            case .setting(let apply, let read):
                guard let text = read(config) else { continue }
                var copy = ServerConfig()
                try apply(&copy, text)
                #expect(read(copy) == text, "\(option.name)")
            case .list(let parse, let read, let write):
                var copy = ServerConfig()
                write(&copy, try read(config).map { (item) throws(ConfigValueError) in try parse(item) })
                #expect(read(copy) == read(config), "\(option.name)")
                #expect(!read(config).isEmpty, "\(option.name) is not exercised")
            }
        }
    }

    /// Exactly api-key, allowed-return-url, opener-origin, cors-origin and proxy-protocol-from are repeatable.
    @Test func configOptionTable_MarksRepeatableOptions() {
        #expect(
            ConfigOption.all.filter(\.isRepeatable).map(\.name)
                == ["api-key", "allowed-return-url", "opener-origin", "cors-origin", "proxy-protocol-from"])
    }
}
