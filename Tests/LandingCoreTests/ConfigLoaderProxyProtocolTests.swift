import Testing

@testable import LandingCore

/// `--proxy-protocol-from CIDR` (repeatable): the load balancers trusted to send PROXY headers.
@Suite struct ConfigLoaderProxyProtocolTests {
    /// Unset by default: no PROXY protocol.
    @Test func configLoader_HasNoTrustedBalancer_ByDefault() throws {
        #expect(try serveConfig([]).proxyProtocolFrom.isEmpty)
    }

    /// Repeated flags accumulate; each block is kept in canonical form, a single address as /32 or
    /// /128, and a block given twice (also written differently) is kept once.
    @Test func commandLine_AccumulatesBlocks_InCanonicalForm() throws {
        let config = try serveConfig([
            "--proxy-protocol-from", "10.0.0.0/8", "--proxy-protocol-from=127.0.0.1", "--proxy-protocol-from", "2001:DB8::/32",
            "--proxy-protocol-from", "127.0.0.1/32", "--proxy-protocol-from", "::1",
        ])
        #expect(config.proxyProtocolFrom == ["10.0.0.0/8", "127.0.0.1/32", "2001:db8::/32", "::1/128"])
    }

    /// The environment variable takes a comma-separated list; a config file a string or an array.
    @Test func configLoader_ReadsBlocks_FromEnvironmentAndFile() throws {
        let fromEnvironment = try serveConfig([], environment: ["OAUTH_LANDING_PROXY_PROTOCOL_FROM": "10.0.0.0/8,fd00::/8"])
        #expect(fromEnvironment.proxyProtocolFrom == ["10.0.0.0/8", "fd00::/8"])
        let single = try serveConfig(["--config", "c.json"], files: ["c.json": #"{"proxy-protocol-from": "192.0.2.7"}"#])
        #expect(single.proxyProtocolFrom == ["192.0.2.7/32"])
        let array = try serveConfig(
            ["--config", "c.json"], files: ["c.json": #"{"proxy-protocol-from": ["10.0.0.0/8", "172.16.0.0/12"]}"#])
        #expect(array.proxyProtocolFrom == ["10.0.0.0/8", "172.16.0.0/12"])
        // Flags replace the file's list whole.
        let replaced = try serveConfig(
            ["--config", "c.json", "--proxy-protocol-from", "127.0.0.1"], files: ["c.json": #"{"proxy-protocol-from": ["10.0.0.0/8"]}"#])
        #expect(replaced.proxyProtocolFrom == ["127.0.0.1/32"])
    }

    /// A block with host bits set is refused with the block it probably meant, naming the flag.
    @Test func commandLine_RefusesHostBits_WithSuggestion() {
        #expect(
            parseErrorMessage(["--proxy-protocol-from", "10.0.0.1/8"])
                == "invalid value '10.0.0.1/8' for --proxy-protocol-from: 10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?")
    }

    /// Host names, bad prefixes, zones and empty items are refused from every source, saying why.
    @Test(arguments: [
        ("localhost", "'localhost' is not an IP address"), ("10.0.0.0/33", "from 0 to 32"), ("::/200", "from 0 to 128"),
        ("010.0.0.0/8", "'010.0.0.0' is not an IP address"), ("fe80::1%eth0", "is not an IP address"),
        ("10.0.0.0/8 ", "prefix length '/8 '"), ("", "empty; expected an IPv4 or IPv6 address"),
    ])
    func configLoader_RefusesMalformedBlock(text: String, reason: String) {
        let flag = parseErrorMessage(["--proxy-protocol-from", text])
        #expect(flag.contains("for --proxy-protocol-from: "), "\(flag)")
        #expect(flag.contains(reason), "\(flag)")
        let environment = parseErrorMessage(["--allow-unknown-env"], environment: ["OAUTH_LANDING_PROXY_PROTOCOL_FROM": "10.0.0.0/8," + text])
        #expect(environment.contains("OAUTH_LANDING_PROXY_PROTOCOL_FROM"), "\(environment)")
        #expect(environment.contains(reason), "\(environment)")
    }

    /// A configuration built in code with a malformed block fails `validate()`.
    @Test func validate_RefusesMalformedBlock_WhenSetInCode() {
        var config = ServerConfig()
        config.proxyProtocolFrom = ["10.0.0.1/8"]
        #expect(throws: ConfigError.self) { try config.validate() }
    }

    /// The usage documents the option, its value and what it does to other peers.
    @Test func usageText_DescribesProxyProtocolFrom() {
        let text = UsageText.text(for: "serve")
        for fact in ["--proxy-protocol-from CIDR", "PROXY protocol (v1 or v2)", "others are closed at once", "OAUTH_LANDING_PROXY_PROTOCOL_FROM"] {
            #expect(text.contains(fact), "\(fact)")
        }
    }
}
