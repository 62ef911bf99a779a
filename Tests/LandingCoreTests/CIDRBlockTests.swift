import Testing

@testable import LandingCore

@Suite struct CIDRBlockTests {
    /// Blocks and single addresses of both families parse, and print in canonical form.
    @Test(arguments: [
        ("10.0.0.0/8", "10.0.0.0/8"), ("127.0.0.1", "127.0.0.1/32"), ("127.0.0.1/32", "127.0.0.1/32"),
        ("0.0.0.0/0", "0.0.0.0/0"), ("192.0.2.128/25", "192.0.2.128/25"), ("::1", "::1/128"), ("::1/128", "::1/128"),
        ("2001:DB8::/32", "2001:db8::/32"), ("fd00::/8", "fd00::/8"), ("::/0", "::/0"),
        ("::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104"),
    ])
    func parse_ReadsBlock(text: String, canonical: String) throws {
        #expect(try CIDRBlock(parsing: text).description == canonical)
    }

    /// Host bits after the prefix are refused with the block the operator probably meant.
    @Test(arguments: [
        ("10.0.0.1/8", "10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?"),
        ("192.0.2.130/25", "192.0.2.130/25 has host bits set; did you mean 192.0.2.128/25?"),
        ("2001:db8::1/32", "2001:db8::1/32 has host bits set; did you mean 2001:db8::/32?"),
        ("1.2.3.4/0", "1.2.3.4/0 has host bits set; did you mean 0.0.0.0/0?"),
    ])
    func parse_RefusesHostBits_WithSuggestion(text: String, message: String) {
        #expect(throws: CIDRBlock.ParseError(description: message)) { try CIDRBlock(parsing: text) }
    }

    /// Malformed addresses and prefix lengths are refused, saying what is wrong.
    @Test(arguments: [
        ("", "empty"), ("/8", "no address"), ("10.0.0.0/", "prefix length '/'"), ("10.0.0.0/33", "from 0 to 32"),
        ("::/129", "from 0 to 128"), ("10.0.0.0/08", "prefix length '/08'"), ("10.0.0.0/-1", "prefix length '/-1'"),
        ("10.0.0.0/+8", "prefix length '/+8'"), ("10.0.0.0/8/8", "prefix length '/8/8'"), ("010.0.0.0/8", "'010.0.0.0' is not"),
        ("localhost", "'localhost' is not an IP address"), ("10.0.0.0 /8", "is not an IP address"),
        ("fe80::1%eth0/128", "is not an IP address"), ("[::1]/128", "is not an IP address"), ("10.0.0.0/1000", "from 0 to 32"),
    ])
    func parse_RefusesMalformedText(text: String, fragment: String) {
        do {
            let block = try CIDRBlock(parsing: text)
            Issue.record("\(text.debugDescription) parsed as \(block)")
        } catch {
            #expect(error.description.contains(fragment), "\(error.description)")
        }
    }

    /// A block contains the addresses sharing its prefix and no others, at the edges too.
    @Test(arguments: [
        ("10.0.0.0/8", "10.0.0.0", true), ("10.0.0.0/8", "10.255.255.255", true), ("10.0.0.0/8", "11.0.0.0", false),
        ("10.0.0.0/8", "9.255.255.255", false), ("192.0.2.7", "192.0.2.7", true), ("192.0.2.7", "192.0.2.8", false),
        ("0.0.0.0/0", "203.0.113.9", true), ("0.0.0.0/0", "2001:db8::1", false),
        ("2001:db8::/32", "2001:db8:ffff::1", true), ("2001:db8::/32", "2001:db9::", false), ("::1", "::1", true),
        ("::1", "::2", false), ("::/0", "2001:db8::1", true), ("::1", "127.0.0.1", false),
    ])
    func contains_MatchesPrefix(block: String, address: String, expected: Bool) throws {
        #expect(try CIDRBlock(parsing: block).contains(#require(IPAddress(address))) == expected)
    }

    /// IPv4-mapped IPv6 peers (a dual-stack socket's) match IPv4 blocks, and IPv4 peers match mapped IPv6 blocks.
    @Test func contains_MatchesAcrossFamilies_ThroughMappedAddresses() throws {
        let private10 = try CIDRBlock(parsing: "10.0.0.0/8")
        #expect(private10.contains(try #require(IPAddress("::ffff:10.1.2.3"))))
        #expect(!private10.contains(try #require(IPAddress("::ffff:11.1.2.3"))))
        #expect(!private10.contains(try #require(IPAddress("::10.1.2.3"))))
        let mapped = try CIDRBlock(parsing: "::ffff:0:0/96")
        #expect(mapped.contains(try #require(IPAddress("203.0.113.7"))))
        #expect(mapped.contains(try #require(IPAddress("::ffff:203.0.113.7"))))
        #expect(!mapped.contains(try #require(IPAddress("2001:db8::1"))))
        let loopback = try CIDRBlock(parsing: "127.0.0.1")
        #expect(loopback.contains(try #require(IPAddress("::ffff:127.0.0.1"))))
    }

    /// The memberwise initializer clears host bits and clamps the prefix length.
    @Test func init_MasksAndClamps() throws {
        let block = CIDRBlock(try #require(IPAddress("10.1.2.3")), prefixLength: 8)
        #expect(block.description == "10.0.0.0/8")
        #expect(CIDRBlock(try #require(IPAddress("::1")), prefixLength: 200).description == "::1/128")
        #expect(CIDRBlock(try #require(IPAddress("10.1.2.3")), prefixLength: -3).description == "0.0.0.0/0")
    }
}
