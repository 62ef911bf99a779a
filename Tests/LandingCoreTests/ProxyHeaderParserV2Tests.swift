import Testing

@testable import LandingCore

/// The binary header (version 2, HAProxy's PROXY protocol §2.2), fed whole, split at every byte
/// and a byte at a time, plus random input that must never crash the parser.
@Suite struct ProxyHeaderParserV2Tests {
    typealias Fixture = ProxyHeaderFixture

    static let client = IPAddress.v4(0xCB00_7107)  // 203.0.113.7
    static let front = IPAddress.v4(0xC000_0201)  // 192.0.2.1
    static let client6 = IPAddress("2001:db8::7")!
    static let front6 = IPAddress("2001:db8::1")!
    static let tcp4Block = Fixture.ipv4Block([203, 0, 113, 7], [192, 0, 2, 1], 40_000, 443)
    static let tcp6Block = Fixture.ipv6Block(client6, front6, 1, 65_535)

    static func proxied(_ source: IPAddress, _ sourcePort: UInt16, _ destination: IPAddress, _ destinationPort: UInt16) -> ProxyHeader {
        ProxyHeader(
            version: .v2, source: .init(address: source, port: sourcePort), destination: .init(address: destination, port: destinationPort))
    }

    static let noAddress = ProxyHeader(version: .v2, source: nil, destination: nil)

    /// PROXY over TCP gives the client's address and port, TLVs are skipped, and the bytes after
    /// the header are left whole, however the header is split.
    @Test(arguments: [
        (Fixture.v2(0x21, 0x11, tcp4Block), proxied(client, 40_000, front, 443)),
        (Fixture.v2(0x21, 0x21, tcp6Block), proxied(client6, 1, front6, 65_535)),
        // An ALPN TLV and a NOOP TLV after the addresses.
        (Fixture.v2(0x21, 0x11, tcp4Block + [0x01, 0x00, 0x02, 0x68, 0x32, 0x04, 0x00, 0x00]), proxied(client, 40_000, front, 443)),
        // Bytes after the addresses that are not even well-formed TLVs: never read.
        (Fixture.v2(0x21, 0x11, tcp4Block + [0xFF]), proxied(client, 40_000, front, 443)),
        // An IPv4-mapped source over IPv6.
        (Fixture.v2(0x21, 0x21, Fixture.ipv6Block(IPAddress("::ffff:203.0.113.7")!, front6, 7, 8)), proxied(IPAddress("::ffff:203.0.113.7")!, 7, front6, 8)),
    ])
    func v2_ReadsAddresses_AtEverySplit(header: [UInt8], expected: ProxyHeader) {
        for run in Fixture.everySplit(header + Fixture.trailing) {
            #expect(run == Fixture.Run(outcome: .header(expected, consumed: 0), rest: Fixture.trailing))
        }
    }

    /// LOCAL (a health check), UNSPEC, AF_UNIX and an UNSPEC transport name no client: the
    /// connection keeps its own peer; an address block after LOCAL is skipped by its length.
    @Test(arguments: [
        Fixture.v2(0x20, 0x00, []), Fixture.v2(0x20, 0x11, tcp4Block), Fixture.v2(0x20, 0x12, tcp4Block),
        Fixture.v2(0x20, 0x21, tcp6Block + [0x04, 0x00, 0x01, 0x00]), Fixture.v2(0x21, 0x00, []),
        Fixture.v2(0x21, 0x00, [1, 2, 3]), Fixture.v2(0x21, 0x10, []), Fixture.v2(0x21, 0x01, []),
        Fixture.v2(0x21, 0x31, [UInt8](repeating: 0x2F, count: 216)), Fixture.v2(0x20, 0x32, [UInt8](repeating: 0, count: 216)),
    ])
    func v2_AcceptsWithoutAddress(header: [UInt8]) {
        for run in Fixture.everySplit(header + Fixture.trailing) {
            #expect(run == Fixture.Run(outcome: .header(Self.noAddress, consumed: 0), rest: Fixture.trailing))
        }
    }

    /// A header of exactly 536 bytes is taken; 537 is refused as soon as its length field is in.
    @Test func v2_EnforcesLengthLimit() {
        let longest = Fixture.v2(0x21, 0x11, Self.tcp4Block + [UInt8](repeating: 0x04, count: 536 - 16 - 12))
        #expect(longest.count == ProxyHeaderParser.maxV2HeaderBytes)
        #expect(Fixture.run(longest, cuts: []).outcome == .header(Self.proxied(Self.client, 40_000, Self.front, 443), consumed: 0))
        var parser = ProxyHeaderParser()
        let tooLong = Fixture.v2(0x21, 0x11, Self.tcp4Block, length: 537 - 16)
        #expect(parser.feed(Array(tooLong.prefix(16))) == .error(.v2TooLong(537)))
        #expect(Fixture.run(Fixture.v2(0x20, 0x00, [], length: 0xFFFF), cuts: []).outcome == .error(.v2TooLong(65_551)))
    }

    /// Every malformed shape is refused with its reason, whole or split.
    @Test(arguments: [
        (Fixture.v2(0x11, 0x11, tcp4Block), ProxyHeaderError.v2UnsupportedVersion(1)),
        (Fixture.v2(0x31, 0x11, tcp4Block), .v2UnsupportedVersion(3)), (Fixture.v2(0x01, 0x11, tcp4Block), .v2UnsupportedVersion(0)),
        (Fixture.v2(0x22, 0x11, tcp4Block), .v2UnknownCommand(2)), (Fixture.v2(0x2F, 0x11, tcp4Block), .v2UnknownCommand(15)),
        (Fixture.v2(0x21, 0x41, tcp4Block), .v2UnknownFamily(0x41)), (Fixture.v2(0x21, 0x13, tcp4Block), .v2UnknownFamily(0x13)),
        (Fixture.v2(0x20, 0xF0, []), .v2UnknownFamily(0xF0)), (Fixture.v2(0x20, 0x03, []), .v2UnknownFamily(0x03)),
        (Fixture.v2(0x21, 0x12, tcp4Block), .v2Datagram), (Fixture.v2(0x21, 0x22, tcp6Block), .v2Datagram),
        (Fixture.v2(0x21, 0x32, [UInt8](repeating: 0, count: 216)), .v2Datagram), (Fixture.v2(0x21, 0x02, []), .v2Datagram),
        (Fixture.v2(0x21, 0x11, Array(tcp4Block.prefix(11))), .v2AddressesTruncated),
        (Fixture.v2(0x21, 0x11, []), .v2AddressesTruncated), (Fixture.v2(0x21, 0x21, tcp4Block + tcp4Block), .v2AddressesTruncated),
        (Fixture.v2(0x21, 0x31, [UInt8](repeating: 0, count: 215)), .v2AddressesTruncated),
        ([0x0D, 0x0A, 0x0D, 0x0A, 0x01], .notProxyProtocol), ([0x0D, 0x0A, 0x47, 0x45, 0x54], .notProxyProtocol),
        (Array(ProxyHeaderParser.v2Signature.prefix(11)) + [0x0D, 0x21], .notProxyProtocol),
        ([0x0D, 0x0D], .notProxyProtocol),
    ])
    func v2_RefusesMalformedHeader(header: [UInt8], error: ProxyHeaderError) {
        for run in Fixture.everySplit(header + Fixture.trailing) {
            #expect(run.outcome == .error(error), "\(header)")
        }
    }

    /// A header whose length promises more bytes than arrive waits for them (the header timeout ends it).
    @Test func v2_WaitsForPromisedBytes() {
        var parser = ProxyHeaderParser()
        let header = Fixture.v2(0x21, 0x11, Self.tcp4Block)
        #expect(parser.feed(Array(header.dropLast())) == .needMore)
        #expect(parser.bufferedByteCount == header.count - 1)
        #expect(parser.feed(Array(header.suffix(1)) + [0x16]) == .header(Self.proxied(Self.client, 40_000, Self.front, 443), consumed: 1))
    }

    /// Random bytes, random chunks and mutated valid headers never crash the parser, never make it
    /// hold more than 536 bytes, and never report more bytes consumed than were fed.
    @Test func parser_SurvivesRandomInput() {
        var generator = SystemRandomNumberGenerator()
        let seeds: [[UInt8]] = [
            Fixture.v2(0x21, 0x11, Self.tcp4Block), Fixture.v2(0x21, 0x21, Self.tcp6Block), Fixture.v2(0x20, 0x00, []),
            Array("PROXY TCP4 203.0.113.7 192.0.2.1 56324 443\r\n".utf8), Array("PROXY TCP6 2001:db8::7 ::1 1 2\r\n".utf8),
            Array("PROXY UNKNOWN\r\n".utf8),
        ]
        for round in 0..<20_000 {
            var input: [UInt8]
            if round % 2 == 0 {
                input = (0..<Int.random(in: 0...700, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                // Start most random inputs with a signature, so the parser gets past its first bytes.
                if round % 4 == 0 { input = ProxyHeaderParser.v2Signature + input }
                if round % 8 == 2 { input = Array("PROXY ".utf8) + input }
            } else {
                input = seeds[round % seeds.count] + Fixture.trailing
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let index = Int.random(in: 0..<input.count, using: &generator)
                    input[index] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            var parser = ProxyHeaderParser()
            var offset = 0
            while offset < input.count {
                let size = Int.random(in: 1...64, using: &generator)
                let chunk = Array(input[offset..<min(input.count, offset + size)])
                offset += chunk.count
                let outcome = parser.feed(chunk)
                #expect(parser.bufferedByteCount <= ProxyHeaderParser.maxV2HeaderBytes)
                if case .header(_, let consumed) = outcome {
                    #expect((1...chunk.count).contains(consumed))
                    break
                }
                if case .error = outcome { break }
            }
        }
    }
}
