import Testing

@testable import LandingCore
@testable import LandingIO

@Suite struct SocketAddressTests {
    /// A socket address's IP address is the one its text shows, for IPv4, IPv6 and IPv4-mapped IPv6.
    @Test(arguments: ["127.0.0.1", "203.0.113.7", "::1", "2001:db8::7", "::ffff:192.0.2.1"])
    func ipAddress_MatchesHost(host: String) throws {
        let address = try SocketAddress.resolve(host: host, port: 8443)
        #expect(address.ipAddress == IPAddress(host))
        #expect(address.ipAddress.description == address.host)
    }
}
