/// A block of addresses in CIDR notation (RFC 4632 §3.1 for IPv4, RFC 4291 §2.3 for IPv6):
/// `10.0.0.0/8`, `2001:db8::/32`, or one address (`127.0.0.1` is `127.0.0.1/32`, `::1` is
/// `::1/128`). Used for `--proxy-protocol-from`.
///
/// Parsing is strict: the address part follows `IPAddress` (no leading zeros, no zone), the prefix
/// length is decimal without sign or leading zero and at most 32 (IPv4) or 128 (IPv6), and the
/// bits after the prefix must be zero: `10.0.0.1/8` is refused (with the block it probably means)
/// rather than silently widened, since a typo here decides who may claim any client address.
public struct CIDRBlock: Sendable, Hashable, CustomStringConvertible {
    /// The first address of the block (its host bits are zero).
    public let network: IPAddress
    /// Leading bits every address in the block shares: 0 to 32 for IPv4, 0 to 128 for IPv6.
    public let prefixLength: Int

    /// Why a block's text was refused: one sentence saying what is wrong and what is expected.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The block `text` writes; throws a `ParseError` saying what is wrong.
    public init(parsing text: String) throws(ParseError) {
        let expected = "expected an IPv4 or IPv6 address, optionally with /PREFIX, e.g. 10.0.0.0/8, 192.0.2.7 or fd00::/8"
        guard !text.isEmpty else { throw ParseError(description: "empty; \(expected)") }
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else {
            throw ParseError(description: "\(parts[0].isEmpty ? "no address" : "'\(parts[0])' is not an IP address"); \(expected)")
        }
        let maximum = address.isIPv4 ? 32 : 128
        var length = maximum
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...3).contains(digits.utf8.count), digits.utf8.allSatisfy(HostSyntax.isDigit),
                digits.utf8.count == 1 || digits.first != "0", let value = Int(digits), value <= maximum
            else {
                throw ParseError(
                    description: "prefix length '/\(digits)' must be a whole number from 0 to \(maximum) for an"
                        + " \(address.isIPv4 ? "IPv4" : "IPv6") address; \(expected)")
            }
            length = value
        }
        let masked = Self.masked(address, prefixLength: length)
        guard masked == address else {
            let suggestion = "\(masked)/\(length)"
            throw ParseError(description: "\(text) has host bits set; did you mean \(suggestion)?")
        }
        self.network = address
        self.prefixLength = length
    }

    /// The block of addresses sharing `address`'s first `prefixLength` bits (host bits cleared);
    /// `prefixLength` is clamped to the family's range.
    public init(_ address: IPAddress, prefixLength: Int) {
        let length = max(0, min(prefixLength, address.isIPv4 ? 32 : 128))
        self.network = Self.masked(address, prefixLength: length)
        self.prefixLength = length
    }

    /// `10.0.0.0/8`; a single address keeps its length too (`127.0.0.1/32`).
    public var description: String { "\(network)/\(prefixLength)" }

    /// Whether `address` is in the block. IPv4 and IPv6 meet through IPv4-mapped addresses
    /// (RFC 4291 §2.5.5.2), the form a dual-stack socket reports IPv4 peers in: `::ffff:10.1.2.3`
    /// is in `10.0.0.0/8`, and `10.1.2.3` is in `::ffff:0:0/96`.
    public func contains(_ address: IPAddress) -> Bool {
        switch (network, address.unmapped) {
        case (.v4, .v4(let value)):
            return Self.masked(.v4(value), prefixLength: prefixLength) == network
        case (.v6, .v4(let value)):
            return Self.masked(.v6(0xFFFF << 32 | UInt128(value)), prefixLength: prefixLength) == network
        case (.v6, .v6):
            return Self.masked(address, prefixLength: prefixLength) == network
        case (.v4, .v6):
            return false
        }
    }

    /// `address` with every bit after the first `prefixLength` cleared.
    private static func masked(_ address: IPAddress, prefixLength: Int) -> IPAddress {
        switch address {
        case .v4(let value):
            return .v4(prefixLength == 0 ? 0 : value & ~UInt32(0) << (32 - prefixLength))
        case .v6(let value):
            return .v6(prefixLength == 0 ? 0 : value & ~UInt128(0) << (128 - prefixLength))
        }
    }
}
