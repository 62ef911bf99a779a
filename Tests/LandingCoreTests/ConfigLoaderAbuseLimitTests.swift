import Testing

@testable import LandingCore

/// The abuse-limit options: documented defaults, every source, 0 = no limit, clear refusals.
@Suite struct ConfigLoaderAbuseLimitTests {
    /// With nothing given, each abuse limit has its documented default.
    @Test func configLoader_UsesDocumentedAbuseLimitDefaults_WhenNothingIsGiven() throws {
        let config = try serveConfig([])
        #expect(config.maxConnections == 50_000)
        #expect(config.maxConnectionsPerAddress == 512)
        #expect(config.maxHandshakesPerSecond == 2_000)
        #expect(config.maxCallbacksPerAddressPerMinute == 300)
        #expect(config.maxWaiters == 20_000)
        #expect(config.maxWaitersPerKey == 10_000)
        #expect(config.handlerTimeout == 90)
        #expect(config.lingerTimeout == 5)
        #expect(config.lingerMaxBytes == 1_048_576)
    }

    /// Every abuse limit is read from its flag.
    @Test func configLoader_ReadsAbuseLimits_WhenGivenAsFlags() throws {
        let config = try serveConfig([
            "--max-connections", "100", "--max-connections-per-address", "4", "--max-handshakes-per-second", "5",
            "--max-callbacks-per-address-per-minute", "3", "--max-waiters", "20", "--max-waiters-per-key", "2",
            "--handler-timeout", "61", "--linger-timeout", "0.5", "--linger-max-bytes", "4096",
        ])
        var expected = ServerConfig()
        expected.maxConnections = 100
        expected.maxConnectionsPerAddress = 4
        expected.maxHandshakesPerSecond = 5
        expected.maxCallbacksPerAddressPerMinute = 3
        expected.maxWaiters = 20
        expected.maxWaitersPerKey = 2
        expected.handlerTimeout = 61
        expected.lingerTimeout = 0.5
        expected.lingerMaxBytes = 4096
        #expect(config == expected)
    }

    /// Every abuse limit is read from its `OAUTH_LANDING_*` variable.
    @Test func configLoader_ReadsAbuseLimits_WhenGivenInEnvironment() throws {
        let config = try serveConfig(
            [],
            environment: [
                "OAUTH_LANDING_MAX_CONNECTIONS": "0", "OAUTH_LANDING_MAX_CONNECTIONS_PER_ADDRESS": "0",
                "OAUTH_LANDING_MAX_HANDSHAKES_PER_SECOND": "0",
                "OAUTH_LANDING_MAX_CALLBACKS_PER_ADDRESS_PER_MINUTE": "0", "OAUTH_LANDING_MAX_WAITERS": "0",
                "OAUTH_LANDING_MAX_WAITERS_PER_KEY": "0", "OAUTH_LANDING_HANDLER_TIMEOUT": "120",
                "OAUTH_LANDING_LINGER_TIMEOUT": "0", "OAUTH_LANDING_LINGER_MAX_BYTES": "0",
            ])
        #expect(config.maxConnections == 0)
        #expect(config.maxConnectionsPerAddress == 0)
        #expect(config.maxHandshakesPerSecond == 0)
        #expect(config.maxCallbacksPerAddressPerMinute == 0)
        #expect(config.maxWaiters == 0)
        #expect(config.maxWaitersPerKey == 0)
        #expect(config.handlerTimeout == 120)
        #expect(config.lingerTimeout == 0)
        #expect(config.lingerMaxBytes == 0)
    }

    /// Every abuse limit is read from the `--config` file, as JSON numbers; flags still win.
    @Test func configLoader_ReadsAbuseLimits_WhenGivenInFile() throws {
        let file = """
            {"max-connections": 10, "max-connections-per-address": 2, "max-handshakes-per-second": 1,
             "max-callbacks-per-address-per-minute": 9, "max-waiters": 8, "max-waiters-per-key": 7,
             "handler-timeout": 75.5, "linger-timeout": 2, "linger-max-bytes": 100}
            """
        let config = try serveConfig(
            ["--config", "c.json", "--max-waiters", "6"], files: ["c.json": file])
        #expect(config.maxConnections == 10)
        #expect(config.maxConnectionsPerAddress == 2)
        #expect(config.maxHandshakesPerSecond == 1)
        #expect(config.maxCallbacksPerAddressPerMinute == 9)
        #expect(config.maxWaiters == 6)
        #expect(config.maxWaitersPerKey == 7)
        #expect(config.handlerTimeout == 75.5)
        #expect(config.lingerTimeout == 2)
        #expect(config.lingerMaxBytes == 100)
    }

    /// Negative, fractional, suffixed and too large counts are refused, naming the flag and range.
    @Test(arguments: [
        ("--max-connections", "-1", "connections from 0 to 10000000"),
        ("--max-connections-per-address", "1.5", "connections from 0 to 10000000"),
        ("--max-handshakes-per-second", "2k", "handshakes from 0 to 1000000"),
        ("--max-callbacks-per-address-per-minute", "1000001", "callbacks from 0 to 1000000"),
        ("--max-waiters", "", "waiters from 0 to 10000000"),
        ("--max-waiters-per-key", "10000001", "waiters from 0 to 10000000"),
        ("--linger-max-bytes", "67108865", "bytes from 0 to 67108864"),
    ])
    func configLoader_RejectsAbuseCount_WhenNotAWholeNumberInRange(flag: String, value: String, range: String) {
        let message = parseErrorMessage([flag, value])
        #expect(message.contains("for \(flag): "), "\(message)")
        #expect(message.contains("expected a whole number of \(range)"), "\(message)")
    }

    /// The handler timeout must outlast the longest long-poll: 60 and below are refused, saying why.
    @Test(arguments: ["60", "59.9", "0", "86400.5"])
    func configLoader_RejectsHandlerTimeout_WhenNotLongerThanLongestLongPoll(value: String) {
        #expect(
            parseErrorMessage(["--handler-timeout", value])
                == "invalid value '\(value)' for --handler-timeout: out of range; expected seconds as a decimal"
                + " number like 90 or 90.5, more than 60 (the longest long-poll) and at most 86400")
    }

    /// A malformed handler timeout is refused as a malformed number, from the environment too.
    @Test func configLoader_RejectsHandlerTimeout_WhenMalformedInEnvironment() {
        let message = parseErrorMessage([], environment: ["OAUTH_LANDING_HANDLER_TIMEOUT": "90s"])
        #expect(message.hasPrefix("invalid value '90s' for environment variable OAUTH_LANDING_HANDLER_TIMEOUT: "))
        #expect(message.hasSuffix("expected seconds as a decimal number like 90 or 90.5, more than 60"
            + " (the longest long-poll) and at most 86400"))
    }

    /// The linger timeout may be 0 (close at once) but not negative or above ten minutes.
    @Test func configLoader_EnforcesLingerTimeoutRange() throws {
        #expect(try serveConfig(["--linger-timeout", "0"]).lingerTimeout == 0)
        #expect(parseErrorMessage(["--linger-timeout", "600.5"]).contains("out of range"))
        #expect(parseErrorMessage(["--linger-timeout", "-1"]).contains("expected seconds"))
    }

    /// A string where the file needs a number is refused with the JSON type expected.
    @Test func configLoader_RejectsAbuseLimit_WhenFileGivesString() {
        let message = parseErrorMessage(
            ["--config", "c.json"], files: ["c.json": #"{"max-connections": "100"}"#])
        #expect(message.contains("max-connections"), "\(message)")
        #expect(message.contains("a whole number"), "\(message)")
    }

    /// A configuration built in code with a too short handler timeout fails `validate()`.
    @Test func validate_RejectsHandlerTimeout_WhenSetInCode() {
        var config = ServerConfig()
        config.handlerTimeout = 30
        #expect(throws: ConfigError.self) { try config.validate() }
    }

    /// The usage shows each abuse limit with its default and the load-balancer caveat.
    @Test func usageText_ShowsAbuseLimits_WithDefaults() {
        let text = UsageText.text(for: "serve")
        for fact in [
            "--max-connections N", "Default: 50000.", "--max-connections-per-address N", "Default: 512.",
            "--max-handshakes-per-second N", "Default: 2000.", "--max-callbacks-per-address-per-minute N",
            "Default: 300.", "--max-waiters N", "Default: 20000.", "--max-waiters-per-key N", "Default: 10000.",
            "--handler-timeout SECONDS", "Default: 90.", "--linger-timeout SECONDS", "Default: 5.",
            "--linger-max-bytes BYTES", "Default: 1048576.", "PROXY protocol",
        ] {
            #expect(text.contains(fact), "\(fact)")
        }
    }
}
