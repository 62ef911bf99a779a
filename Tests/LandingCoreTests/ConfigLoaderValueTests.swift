import Testing

@testable import LandingCore

@Suite struct ConfigLoaderValueTests {
    /// IPv4, host names, bracketed IPv6 and port 0 are accepted; IPv6 is stored without brackets.
    @Test(arguments: [
        ("0.0.0.0:8443", "0.0.0.0", 8443), ("127.0.0.1:0", "127.0.0.1", 0), ("localhost:65535", "localhost", 65535),
        ("landing.example.com:443", "landing.example.com", 443), ("[::1]:8443", "::1", 8443), ("[::]:1", "::", 1),
        ("[2001:db8::1]:9000", "2001:db8::1", 9000), ("[::ffff:192.0.2.1]:80", "::ffff:192.0.2.1", 80),
        ("[1:2:3:4:5:6:7:8]:1", "1:2:3:4:5:6:7:8", 1), ("my-host:1", "my-host", 1),
    ])
    func configLoader_ParsesListenAddress_WhenWellFormed(text: String, host: String, port: Int) throws {
        let config = try serveConfig(["--listen", text])
        #expect(config.listen == .init(host: host, port: port))
        #expect(config.listen.description == text)
    }

    /// Ports outside 0–65535 or not plain digits are refused with the expected range.
    @Test(arguments: ["0.0.0.0:65536", "0.0.0.0:-1", "0.0.0.0:99999999", "0.0.0.0:84a3", "0.0.0.0:", "0.0.0.0: 1"])
    func configLoader_RejectsPort_WhenOutOfRangeOrNotANumber(text: String) {
        let message = parseErrorMessage(["--listen", text])
        #expect(message.hasPrefix("invalid value '\(text)' for --listen: "))
        #expect(message.contains("port"))
    }

    /// The port message gives the range.
    @Test func configLoader_ExplainsPortRange_WhenPortTooLarge() {
        #expect(
            parseErrorMessage(["--listen=127.0.0.1:70000"])
                == "invalid value '127.0.0.1:70000' for --listen: port 70000 is out of range 0–65535")
    }

    /// Hosts that are neither IPv4, a host name nor bracketed IPv6 are refused.
    @Test(arguments: [
        "8443", ":8443", "256.0.0.1:1", "1.2.3:1", "01.2.3.4:1", "-host:1", "host-:1", "ho_st:1", "a..b:1",
        "*:1", "::1:8443", "[::1]8443", "[::1:8443", "[1::2::3]:1", "[12345::]:1", "[g::]:1", "[fe80::1%eth0]:1",
        "[1:2:3:4:5:6:7:8:9]:1", "[]:1", "bad host:1", "",
    ])
    func configLoader_RejectsListenHost_WhenMalformed(text: String) {
        #expect(parseErrorMessage(["--listen", text]).contains("for --listen: "))
    }

    /// A bare IPv6 address gets a hint to use brackets.
    @Test func configLoader_SuggestsBrackets_WhenIPv6HasNone() {
        #expect(
            parseErrorMessage(["--http-listen", "::1:8080"]).hasSuffix(
                "an IPv6 address goes in brackets, e.g. [::1]:8443"))
    }

    /// Decimal seconds accept `10`, `0.3`, `2.50` and, for the grace period, 0.
    @Test func configLoader_ParsesSeconds_WhenPlainDecimals() throws {
        let config = try serveConfig([
            "--header-timeout", "0.3", "--body-timeout", "2.50", "--idle-timeout", "10", "--shutdown-grace", "0",
        ])
        #expect(config.headerTimeout == 0.3)
        #expect(config.bodyTimeout == 2.5)
        #expect(config.idleTimeout == 10)
        #expect(config.shutdownGrace == 0)
    }

    /// Negative, NaN, infinite, suffixed, exponent, signed, spaced and empty durations are refused.
    @Test(arguments: ["-1", "NaN", "nan", "inf", "10s", "1e3", "+1", " 1", "1 ", "", ".5", "5.", "0x10", "1,5"])
    func configLoader_RejectsSeconds_WhenNotPlainDecimal(text: String) {
        let message = parseErrorMessage(["--header-timeout", text])
        #expect(message.contains("for --header-timeout: "))
        #expect(message.contains("expected seconds as a decimal number like 10 or 0.5"))
    }

    /// A timeout of 0 is refused (it must be positive); the grace period may be 0 but not above a day.
    @Test func configLoader_EnforcesSecondsRange_WhenZeroOrHuge() {
        #expect(parseErrorMessage(["--idle-timeout", "0"]).contains("out of range"))
        #expect(parseErrorMessage(["--body-timeout=0.0"]).contains("out of range"))
        #expect(parseErrorMessage(["--shutdown-grace", "86401"]).contains("out of range"))
    }

    /// Limits must be positive whole numbers within their bounds.
    @Test(arguments: [
        ("--max-request-line", "0"), ("--max-request-line", "1048577"), ("--max-header-bytes", "-5"),
        ("--max-header-bytes", "16k"), ("--max-header-count", "10001"), ("--max-header-count", "1.0"),
        ("--max-body-bytes", "67108865"), ("--max-body-bytes", ""), ("--threads", "257"),
        ("--threads", "99999999999999999999999"),
    ])
    func configLoader_RejectsInteger_WhenNotInRange(flag: String, text: String) {
        let message = parseErrorMessage([flag + "=" + text])
        #expect(message.contains("for \(flag): "))
        #expect(message.contains("expected a whole number of"))
    }

    /// The upper bounds themselves are accepted.
    @Test func configLoader_AcceptsIntegers_WhenAtUpperBounds() throws {
        let config = try serveConfig([
            "--max-request-line", "1048576", "--max-header-bytes", "1048576", "--max-header-count", "10000",
            "--max-body-bytes", "67108864", "--threads", "256",
        ])
        #expect(
            config.limits
                == HTTPParserLimits(
                    maxRequestLineBytes: 1_048_576, maxHeaderBytes: 1_048_576, maxHeaderCount: 10_000,
                    maxBodyBytes: 67_108_864))
        #expect(config.threads == 256)
    }

    /// Log levels and on/off are exact words; the error lists the accepted ones.
    @Test func configLoader_ListsAcceptedWords_WhenEnumValueUnknown() {
        #expect(
            parseErrorMessage(["--log-level", "verbose"])
                == "invalid value 'verbose' for --log-level: expected debug, info, notice, warning or error")
        #expect(
            parseErrorMessage(["--access-log", "yes"])
                == "invalid value 'yes' for --access-log: expected on or off")
    }

    /// Empty paths are refused.
    @Test func configLoader_RejectsPath_WhenEmpty() {
        #expect(parseErrorMessage(["--tls-cert="]) == "invalid value '' for --tls-cert: empty; expected a file path")
    }

    /// https URLs are normalized: scheme and host lower case, trailing slashes dropped, path kept.
    @Test(arguments: [
        ("https://landing.example.com", "https://landing.example.com"),
        ("https://landing.example.com/", "https://landing.example.com"),
        ("HTTPS://Landing.Example.COM:8443/OAuth/", "https://landing.example.com:8443/OAuth"),
        ("https://[::1]:8443", "https://[::1]:8443"), ("https://127.0.0.1/a%20b//", "https://127.0.0.1/a%20b"),
    ])
    func configLoader_NormalizesPublicURL_WhenHTTPS(text: String, expected: String) throws {
        #expect(try serveConfig(["--public-url", text]).publicURL == expected)
    }

    /// http is refused, also with `--dev`.
    @Test func configLoader_RejectsHTTPPublicURL_EvenInDevMode() {
        let expected =
            "invalid value 'http://localhost:8080' for --public-url: http is not allowed, not even with --dev: OAuth redirect URIs must use https"
        #expect(parseErrorMessage(["--public-url", "http://localhost:8080"]) == expected)
        #expect(parseErrorMessage(["--dev", "--public-url", "http://localhost:8080"]) == expected)
    }

    /// Relative URLs, other schemes, queries, fragments, bad hosts and bad ports are refused.
    @Test(arguments: [
        ("/oauth", "not an absolute URL"), ("landing.example.com", "not an absolute URL"),
        ("ftp://x.example", "scheme 'ftp' is not allowed"), ("https://x.example/?a=1", "must not have a query"),
        ("https://x.example?", "must not have a query"), ("https://x.example/#top", "must not have a fragment"),
        ("https://", "missing host"), ("https:///path", "missing host"), ("https://bad_host", "neither a host name"),
        ("https://x.example:0", "out of range 1–65535"), ("https://x.example:", "missing port"),
        ("https://x.example/a b", "contains a space"), ("https://x.example/%zz", "bad %-escape"),
        ("https://x.example/<script>", "does not allow"), ("", "empty"),
    ])
    func configLoader_RejectsPublicURL_WhenNotAbsoluteHTTPSBase(text: String, reason: String) {
        let message = parseErrorMessage(["--public-url=" + text])
        #expect(message.contains("for --public-url: "))
        #expect(message.contains(reason))
    }

    /// User info is refused, and the URL (which may hold a password) is not repeated.
    @Test func configLoader_HidesURL_WhenPublicURLHasUserInfo() {
        let message = parseErrorMessage(["--public-url", "https://user:hunter2@x.example"])
        #expect(message == "invalid value for --public-url: user info ('user:password@') is not allowed in the URL")
        #expect(!message.contains("hunter2"))
    }

    /// Control characters in a bad value are escaped in the message, so it cannot drive the terminal.
    @Test func configLoader_EscapesControlCharacters_WhenEchoingBadValue() {
        let message = parseErrorMessage(["--threads", "1\u{1B}[2J\n"])
        #expect(message.contains(#"'1\u{1B}[2J\n'"#))
        #expect(!message.contains("\u{1B}"))
    }
}
