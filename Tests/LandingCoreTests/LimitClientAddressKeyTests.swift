import Testing

@testable import LandingCore

@Suite struct LimitClientAddressKeyTests {
    /// IPv4, IPv4-mapped IPv6, IPv6 (per /64) and unparseable text map to their keys.
    @Test(arguments: [
        ("192.0.2.1", "192.0.2.1"), ("::ffff:192.0.2.1", "192.0.2.1"), ("::FFFF:c000:0201", "192.0.2.1"),
        ("2001:db8::1", "2001:db8:0:0::/64"), ("2001:db8:a:b:c:d:e:f", "2001:db8:a:b::/64"),
        ("2001:0db8:000a:000b::", "2001:db8:a:b::/64"), ("::1", "0:0:0:0::/64"), ("fe80::1%eth0", "fe80:0:0:0::/64"),
        ("1::2::3", "1::2::3"), ("12345::", "12345::"), ("-", "-"), ("::ffff:1.2.3", "::ffff:1.2.3"),
    ])
    func key_MapsAddress(address: String, key: String) {
        #expect(ClientAddressKey.key(for: address) == key)
    }
}
