#if canImport(Glibc)
    import Glibc
#endif
import Testing

@testable import LandingCore

@Suite struct IPAddressTests {
    /// Canonical and non-canonical text forms parse to the right numbers.
    @Test(arguments: [
        ("0.0.0.0", IPAddress.v4(0)), ("192.0.2.1", .v4(0xC000_0201)), ("255.255.255.255", .v4(.max)),
        ("::", .v6(0)), ("::1", .v6(1)), ("2001:db8::1", .v6(0x2001_0db8 << 96 | 1)),
        ("2001:DB8:0:0:0:0:0:1", .v6(0x2001_0db8 << 96 | 1)), ("0000:0000:0000:0000:0000:0000:0000:0001", .v6(1)),
        ("::ffff:192.0.2.1", .v6(0xFFFF_C000_0201)), ("1::", .v6(1 << 112)), ("1:2:3:4:5:6:7:8", .v6(0x0001_0002_0003_0004_0005_0006_0007_0008)),
        ("1:2:3:4:5:6:1.2.3.4", .v6(0x0001_0002_0003_0004_0005_0006_0102_0304)),
    ])
    func parse_ReadsAddress(text: String, expected: IPAddress) {
        #expect(IPAddress(text) == expected)
    }

    /// Malformed text, leading zeros in IPv4, zones, brackets, ports and stray characters are refused.
    @Test(arguments: [
        "", " 1.2.3.4", "1.2.3.4 ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1.2.3.-4", "1..2.3",
        "1.2.3.4/8", "0x1.2.3.4", "１.2.3.4", ":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
        "12345::", "g::", "::1%eth0", "[::1]", "::1:", ":1::", "1:2:3:4:5:6:7::8", "::1.2.3.04", "1.2.3.4::",
        "::ffff:1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "+1::", "-1::",
    ])
    func parse_RefusesMalformedText(text: String) {
        #expect(IPAddress(text) == nil, "\(text.debugDescription)")
    }

    /// The text form is glibc inet_ntop's: lower case, the longest zero run compressed, IPv4 tails for mapped addresses.
    @Test(arguments: [
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"), ("0:0:0:0:0:0:0:0", "::"), ("0:0:0:0:0:0:0:1", "::1"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"), ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"), ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
        ("::ffff:c000:201", "::ffff:192.0.2.1"), ("::c000:201", "::192.0.2.1"), ("::ffff:0:0", "::ffff:0.0.0.0"),
        ("::ffff", "::ffff"), ("1::", "1::"), ("10.0.0.1", "10.0.0.1"),
    ])
    func description_WritesCanonicalText(text: String, canonical: String) throws {
        #expect(try #require(IPAddress(text)).description == canonical)
    }

    /// Random IPv4 addresses (every octet width, 0 and 255 included) print exactly as inet_ntop prints them.
    @Test func description_AgreesWithInetNtop_ForRandomIPv4Addresses() throws {
        #if canImport(Glibc)
            var generator = SystemRandomNumberGenerator()
            let edges: [UInt8] = [0, 1, 9, 10, 99, 100, 199, 255]
            for round in 0..<5000 {
                let bytes = (0..<4).map { index in
                    round % 2 == 0 ? edges[(round / 2 + index * 3) % edges.count] : UInt8.random(in: 0...255, using: &generator)
                }
                let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                inet_ntop(AF_INET, bytes, &buffer, socklen_t(buffer.count))
                let expected = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                #expect(IPAddress.v4(value).description == expected, "\(bytes)")
            }
        #endif
    }

    /// Random addresses print exactly as inet_ntop prints them and read back as inet_pton reads them.
    @Test func description_AgreesWithInetNtop_ForRandomAddresses() throws {
        #if canImport(Glibc)
            var generator = SystemRandomNumberGenerator()
            for round in 0..<5000 {
                var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
                // Zero runs and mapped prefixes are where printers disagree: make them common.
                for index in bytes.indices where round % 3 == 0 && index % 3 == round % 5 { bytes[index] = 0 }
                if round % 7 == 0 { bytes.replaceSubrange(0..<12, with: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]) }
                let address = try #require(IPAddress(networkBytes: bytes))
                var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                inet_ntop(AF_INET6, bytes, &buffer, socklen_t(buffer.count))
                let expected = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                #expect(address.description == expected, "\(bytes)")
                #expect(IPAddress(expected) == address)
            }
        #endif
    }

    /// An IPv4-mapped IPv6 address unmaps to its IPv4 address; others stay as they are.
    @Test func unmapped_TurnsMappedIPv6IntoIPv4() {
        #expect(IPAddress("::ffff:10.1.2.3")?.unmapped == IPAddress("10.1.2.3"))
        #expect(IPAddress("::10.1.2.3")?.unmapped == IPAddress("::10.1.2.3"))
        #expect(IPAddress("10.1.2.3")?.unmapped == IPAddress("10.1.2.3"))
        #expect(IPAddress("2001:db8::1")?.unmapped == IPAddress("2001:db8::1"))
    }

    /// Four or sixteen network-order bytes make an address; other counts do not.
    @Test func networkBytes_ReadsFourOrSixteen() {
        #expect(IPAddress(networkBytes: [192, 0, 2, 1]) == .v4(0xC000_0201))
        #expect(IPAddress(networkBytes: [UInt8](repeating: 0, count: 15) + [1]) == .v6(1))
        #expect(IPAddress(networkBytes: [1, 2, 3]) == nil)
        #expect(IPAddress(networkBytes: [UInt8](repeating: 0, count: 17)) == nil)
    }
}
