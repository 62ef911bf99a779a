import Testing

@testable import LandingCore

@Suite struct ConfigLoaderOutputTests {
    /// A fake single-valued secret option (the real secret, api-key, is a list).
    static let fakeSecret = ConfigOption(
        name: "fake-secret", kind: .text, valueName: "SECRET", summary: "A fake secret.",
        target: .setting(
            apply: { (_, text) throws(ConfigValueError) in
                guard text.utf8.count >= 16 else { throw ConfigValueError(reason: "must be at least 16 characters") }
            },
            read: { _ in "hunter2-hunter2-hunter2" }))

    /// check-config prints one `name = value` line per setting, in flag names, unset as `(none)`.
    @Test func effectiveDescription_ListsEverySetting_WithDefaults() {
        let expected = """
            listen = 0.0.0.0:8443
            tls-cert = certs/server.pem
            tls-key = certs/server-key.pem
            http-listen = (none)
            public-url = (none)
            log-level = info
            drain-delay = 0
            shutdown-grace = 10
            max-request-line = 8192
            max-header-bytes = 16384
            max-header-count = 100
            max-body-bytes = 65536
            header-timeout = 10
            body-timeout = 10
            idle-timeout = 60
            threads = 0
            dev = false
            allow-unknown-env = false
            access-log = on
            store = sqlite:data/landing.db
            store-password-file = (none)
            store-pool = 2
            group-commit-wait = 0.002
            retention = 604800
            api-key = (none)
            session-ttl = 1800
            allowed-return-url = (none)
            return-url = (none)
            opener-origin = (none)
            android-package = (none)
            templates = (none)
            callback-path = /oauth/callback
            api-keys-file = (none)
            cors-origin = (none)
            webhook-secret = (none)
            webhook-secret-file = (none)
            app-name = (none)
            brand-color = (none)
            pluggy-client-id = (none)
            pluggy-client-secret = (none)
            pluggy-client-secret-file = (none)
            pluggy-api-url = https://api.pluggy.ai
            metrics-listen = (none)
            proxy-protocol-from = (none)
            qa = false
            max-connections = 50000
            max-connections-per-address = 512
            max-handshakes-per-second = 2000
            max-callbacks-per-address-per-minute = 300
            max-waiters = 20000
            max-waiters-per-key = 10000
            handler-timeout = 90
            linger-timeout = 5
            linger-max-bytes = 1048576

            """
        #expect(ServerConfig().effectiveDescription == expected)
    }

    /// Set values appear as an operator would write them (`[::1]:8443`, `0.3`).
    @Test func effectiveDescription_ShowsValues_AsWritten() throws {
        let config = try serveConfig([
            "--listen", "[::1]:9443", "--header-timeout", "0.3", "--http-listen", "127.0.0.1:8080", "--dev",
        ])
        let text = config.effectiveDescription
        #expect(text.contains("listen = [::1]:9443\n"))
        #expect(text.contains("header-timeout = 0.3\n"))
        #expect(text.contains("http-listen = 127.0.0.1:8080\n"))
        #expect(text.contains("dev = true\n"))
    }

    /// A control character in a path cannot forge another line of the printout.
    @Test func effectiveDescription_EscapesNewlines_InValues() {
        var config = ServerConfig()
        config.tlsKeyPath = "k.pem\ndev = true"
        #expect(config.effectiveDescription.contains(#"tls-key = k.pem\ndev = true"#))
        #expect(config.effectiveDescription.split(separator: "\n").count == ConfigOption.all.count - 1)
    }

    /// A secret's value is printed as `****`, other values as they are.
    @Test func effectiveDescription_MasksSecret_WhenKeyIsSecret() {
        let options = ConfigOption.all + [Self.fakeSecret]
        let text = ServerConfig().effectiveDescription(options: options, secretKeys: ["fake-secret"])
        #expect(text.contains("fake-secret = ****\n"))
        #expect(!text.contains("hunter2"))
        #expect(text.contains("listen = 0.0.0.0:8443\n"))
        let unmasked = ServerConfig().effectiveDescription(options: options, secretKeys: [])
        #expect(unmasked.contains("fake-secret = hunter2-hunter2-hunter2\n"))
    }

    /// A bad secret value is reported without repeating it, from any source.
    @Test func configLoader_HidesSecretValue_WhenItIsInvalid() {
        let options = ConfigOption.all + [Self.fakeSecret]
        func message(_ arguments: [String], environment: [String: String] = [:]) -> String {
            do {
                _ = try ConfigLoader.parse(
                    arguments: arguments, environment: environment,
                    readFile: { _ in Array(#"{"fake-secret": "short-secret"}"#.utf8) },
                    options: options, secretKeys: ["fake-secret"])
                return ""
            } catch {
                return error.description
            }
        }
        #expect(
            message(["--fake-secret", "short-secret"])
                == "invalid value for --fake-secret: must be at least 16 characters")
        #expect(
            message([], environment: ["OAUTH_LANDING_FAKE_SECRET": "short-secret"])
                == "invalid value for environment variable OAUTH_LANDING_FAKE_SECRET: must be at least 16 characters"
        )
        #expect(!message(["--config", "c.json"]).contains("short-secret"))
    }

    /// Every name in `secretKeys` is an option, so a typo cannot leave a secret unmasked.
    @Test func secretKeys_NameExistingOptions() {
        let names = Set(ConfigOption.all.map(\.name))
        #expect(ServerConfig.secretKeys.isSubset(of: names))
        #expect(ServerConfig.secretKeys.contains("api-key"))
    }

    /// The usage lists every flag, its default and its environment variable, the subcommands and
    /// the exit codes, within 100 columns.
    @Test func usageText_ListsEveryOptionWithDefaultAndVariable_WithinWidth() {
        let text = UsageText.text(for: nil)
        for option in ConfigOption.all {
            #expect(text.contains("  \(option.flag)"), "\(option.name)")
            #expect(text.contains(option.environmentName), "\(option.name)")
        }
        for fact in [
            "Default: 0.0.0.0:8443.", "Default: certs/server.pem.", "Default: 8192.", "Default: 60.",
            "Default: false.", "Default: on.", "Default: none.", "--listen HOST:PORT", "--out DIR",
            "Default: certs.", "check-config", "dev-cert", "--version", "  0  success", "  2  bad command line",
            "--store sqlite:PATH|memory:", "Default: sqlite:data/landing.db.", "--retention SECONDS",
            "Default: 604800.", "--api-key KEY", "--session-ttl SECONDS", "Default: 1800.",
            "--allowed-return-url PREFIX", "--return-url URL", "--opener-origin ORIGIN", "--android-package NAME",
            "--templates DIR", "None: ../share/oauth-landing/templates", "--callback-path PATH", "Default: /oauth/callback.",
        ] {
            #expect(text.contains(fact), "\(fact)")
        }
        for line in text.split(separator: "\n") {
            #expect(line.count <= UsageText.width, "\(line)")
        }
    }

    /// A subcommand's help shows its own synopsis; dev-cert's does not list serve's options.
    @Test func usageText_ShowsSubcommandPart_WhenTopicGiven() {
        #expect(UsageText.text(for: "serve").hasPrefix("Usage: oauth-landing [serve] [OPTION...]"))
        #expect(UsageText.text(for: "check-config").contains("--max-body-bytes BYTES"))
        let devCert = UsageText.text(for: "dev-cert")
        #expect(devCert.hasPrefix("Usage: oauth-landing dev-cert [--out DIR]"))
        #expect(!devCert.contains("--listen"))
        for topic in ["serve", "check-config", "dev-cert"] {
            #expect(UsageText.text(for: topic).split(separator: "\n").allSatisfy { $0.count <= UsageText.width })
        }
    }

    /// Error messages are equal exactly when they say the same thing.
    @Test func configError_ComparesByContent() {
        #expect(ConfigError.unknownSubcommand("x") == ConfigError.unknownSubcommand("x"))
        #expect(ConfigError.unknownSubcommand("x") != ConfigError.unknownSubcommand("y"))
        #expect(ConfigError.unknownFlag("--a", subcommand: "serve") != ConfigError.unknownSubcommand("--a"))
    }
}
