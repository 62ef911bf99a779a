import Testing

@testable import LandingCore

/// The human-readable header (version 1, HAProxy's PROXY protocol §2.1), fed whole, split at every
/// byte and a byte at a time.
@Suite struct ProxyHeaderParserV1Tests {
    typealias Fixture = ProxyHeaderFixture

    static func endpoint(_ address: String, _ port: UInt16) -> ProxyHeader.Endpoint? {
        IPAddress(address).map { ProxyHeader.Endpoint(address: $0, port: port) }
    }

    /// Valid lines give their addresses, however the line is split, and the bytes after the CRLF are left whole.
    @Test(arguments: [
        ("PROXY TCP4 203.0.113.7 192.0.2.1 56324 443\r\n", endpoint("203.0.113.7", 56324), endpoint("192.0.2.1", 443)),
        ("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", endpoint("0.0.0.0", 0), endpoint("255.255.255.255", 65535)),
        ("PROXY TCP6 2001:db8::7 2001:db8::1 1 443\r\n", endpoint("2001:db8::7", 1), endpoint("2001:db8::1", 443)),
        ("PROXY TCP6 2001:DB8:0:0:0:0:0:7 ::1 9 10\r\n", endpoint("2001:db8::7", 9), endpoint("::1", 10)),
        ("PROXY TCP6 ::ffff:203.0.113.7 ::ffff:192.0.2.1 5 6\r\n", endpoint("::ffff:203.0.113.7", 5), endpoint("::ffff:192.0.2.1", 6)),
        (
            "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
            endpoint("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535), endpoint("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535)
        ),
    ])
    func v1_ReadsAddresses_AtEverySplit(line: String, source: ProxyHeader.Endpoint?, destination: ProxyHeader.Endpoint?) {
        let expected = ProxyHeader(version: .v1, source: source, destination: destination)
        for run in Fixture.everySplit(Array(line.utf8) + Fixture.trailing) {
            #expect(run == Fixture.Run(outcome: .header(expected, consumed: 0), rest: Fixture.trailing), "\(line.debugDescription)")
        }
    }

    /// UNKNOWN, with or without the rest of the line, names no client: the connection keeps its own peer.
    @Test(arguments: [
        "PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff:f::1 ffff:f::2 65535 65535\r\n", "PROXY UNKNOWN anything \u{1}\u{7f} at all\r\n",
        "PROXY UNKNOWN \r\n",
    ])
    func v1_AcceptsUnknown_WithoutAddress(line: String) {
        for run in Fixture.everySplit(Array(line.utf8) + Fixture.trailing) {
            #expect(run == Fixture.Run(outcome: .header(ProxyHeader(version: .v1, source: nil, destination: nil), consumed: 0), rest: Fixture.trailing))
        }
    }

    /// The longest line §2.1 allows (107 bytes with its CRLF) is taken; one byte more is refused.
    @Test func v1_EnforcesLineLimit_At107Bytes() {
        let head = "PROXY UNKNOWN "
        let longest = head + String(repeating: "f", count: ProxyHeaderParser.maxV1LineBytes - head.utf8.count - 2) + "\r\n"
        #expect(longest.utf8.count == 107)
        #expect(Fixture.run(Array(longest.utf8), cuts: []).outcome == .header(ProxyHeader(version: .v1, source: nil, destination: nil), consumed: 0))
        let tooLong = head + String(repeating: "f", count: ProxyHeaderParser.maxV1LineBytes - head.utf8.count - 1) + "\r\n"
        for run in Fixture.everySplit(Array(tooLong.utf8)) {
            #expect(run.outcome == .error(.v1LineTooLong))
        }
        // A line that never ends is refused at its 107th byte, not buffered further.
        var parser = ProxyHeaderParser()
        #expect(parser.feed(Array(("PROXY TCP4 " + String(repeating: "1", count: 95)).utf8)) == .needMore)
        #expect(parser.bufferedByteCount == 106)
        #expect(parser.feed([0x31]) == .error(.v1LineTooLong))
    }

    /// Every malformed shape is refused with its reason, whole or split.
    @Test(arguments: [
        ("GET / HTTP/1.1\r\n", ProxyHeaderError.notProxyProtocol), ("\u{16}\u{3}\u{1}\u{2}\u{0}", .notProxyProtocol),
        ("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", .notProxyProtocol), ("PROXX TCP4", .notProxyProtocol),
        ("PROXY\r\n", .notProxyProtocol), ("PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n", .notProxyProtocol),
        (" PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", .notProxyProtocol), ("\r\nPROXY TCP4", .notProxyProtocol),
        ("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", .v1UnknownProtocol), ("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", .v1UnknownProtocol),
        ("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", .v1UnknownProtocol), ("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", .v1UnknownProtocol),
        ("PROXY UNKNOWNX\r\n", .v1UnknownProtocol), ("PROXY \r\n", .v1UnknownProtocol), ("PROXY TCP4\r\n", .v1BadFields),
        ("PROXY TCP4\t1.2.3.4 5.6.7.8 1 2\r\n", .v1UnknownProtocol),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", .v1BadLineEnding), ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", .v1BadLineEnding),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", .v1BadLineEnding), ("PROXY TCP4 1.2.3.4\n", .v1BadLineEnding),
        ("PROXY UNKNOWN\n", .v1BadLineEnding), ("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", .v1BadFields),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", .v1BadFields), ("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", .v1BadFields),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", .v1BadFields), ("PROXY TCP4 1.2.3.4 5.6.7.8\r\n", .v1BadFields),
        ("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", .v1BadAddress), ("PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n", .v1BadAddress),
        ("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", .v1BadAddress), ("PROXY TCP4 1.2.3.4 5.6.7.8.9 1 2\r\n", .v1BadAddress),
        ("PROXY TCP4 2001:db8::1 5.6.7.8 1 2\r\n", .v1BadAddress), ("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", .v1BadAddress),
        ("PROXY TCP6 ::1 1.2.3.4 1 2\r\n", .v1BadAddress), ("PROXY TCP6 [::1] ::1 1 2\r\n", .v1BadAddress),
        ("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", .v1BadAddress), ("PROXY TCP4 1.2.3.4\u{0} 5.6.7.8 1 2\r\n", .v1BadAddress),
        ("PROXY TCP4 localhost 5.6.7.8 1 2\r\n", .v1BadAddress), ("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", .v1BadPort),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 099999\r\n", .v1BadPort), ("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", .v1BadPort),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", .v1BadPort), ("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", .v1BadPort),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1a 2\r\n", .v1BadPort), ("PROXY TCP4 1.2.3.4 5.6.7.8 0x10 2\r\n", .v1BadPort),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999999999999999999\r\n", .v1BadPort),
    ])
    func v1_RefusesMalformedLine(line: String, error: ProxyHeaderError) {
        for run in Fixture.everySplit(Array(line.utf8) + Fixture.trailing) {
            #expect(run.outcome == .error(error), "\(line.debugDescription)")
        }
    }

    /// Bytes that cannot start a header are refused at the first such byte, not after a timeout.
    @Test func parser_RefusesAtFirstImpossibleByte() {
        var tls = ProxyHeaderParser()
        #expect(tls.feed([0x16]) == .error(.notProxyProtocol))
        var http = ProxyHeaderParser()
        #expect(http.feed(Array("PRO".utf8)) == .needMore)
        #expect(http.feed(Array("PUT".utf8)) == .error(.notProxyProtocol))
    }

    /// Once decided, the parser answers the same: the header with nothing more consumed, or the same error.
    @Test func parser_StaysDecided_AfterHeaderOrError() {
        var parser = ProxyHeaderParser()
        let header = ProxyHeader(version: .v1, source: nil, destination: nil)
        #expect(parser.feed(Array("PROXY UNKNOWN\r\nGET".utf8)) == .header(header, consumed: 15))
        #expect(parser.feed(Array("more".utf8)) == .header(header, consumed: 0))
        #expect(parser.bufferedByteCount == 0)
        var failed = ProxyHeaderParser()
        #expect(failed.feed(Array("GET".utf8)) == .error(.notProxyProtocol))
        #expect(failed.feed(Array("PROXY UNKNOWN\r\n".utf8)) == .error(.notProxyProtocol))
    }
}
