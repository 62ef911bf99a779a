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
            "--dev", "--access-log", "off",
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
        #expect(config == expected)
    }

    /// Each flag also works as `--flag=value`, with the same result as `--flag value`, and sets its field.
    @Test(arguments: [
        ("listen", "[::]:0"), ("tls-cert", "a.pem"), ("tls-key", "b.pem"), ("http-listen", "localhost:80"),
        ("public-url", "https://x.example"), ("log-level", "warning"), ("shutdown-grace", "0"),
        ("max-request-line", "1"), ("max-header-bytes", "1"), ("max-header-count", "1"),
        ("max-body-bytes", "1"), ("header-timeout", "0.001"), ("body-timeout", "86400"),
        ("idle-timeout", "7"), ("threads", "0"), ("access-log", "on"),
    ])
    func commandLine_TreatsEqualsFormLikeSpacedForm_ForEachFlag(name: String, value: String) throws {
        let spaced = try serveConfig(["--" + name, value])
        #expect(try serveConfig(["--\(name)=\(value)"]) == spaced)
        let option = try #require(ConfigOption.all.first { $0.name == name })
        guard case .setting(_, let read) = option.target else {
            Issue.record("\(name) is not a setting")
            return
        }
        #expect(read(spaced) == value)
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
        for option in ConfigOption.all {
            guard case .setting(let apply, let read) = option.target, let text = read(config) else { continue }
            var copy = ServerConfig()
            try apply(&copy, text)
            #expect(read(copy) == text, "\(option.name)")
        }
    }
}
