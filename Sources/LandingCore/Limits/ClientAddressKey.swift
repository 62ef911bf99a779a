/// The key a per-address limit counts a client under, from the peer's address text (as
/// `inet_ntop` writes it, no port).
///
/// - IPv4 counts per address.
/// - An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, RFC 4291 §2.5.5.2) counts as its IPv4
///   address, so a dual-stack listener does not give one client two budgets.
/// - Other IPv6 addresses count per /64: RFC 4291 §2.5.1 fixes the interface identifier at 64
///   bits, so one subscriber (one home, one phone) usually holds a whole /64 and could otherwise
///   rotate through 2^64 addresses, each with a fresh budget.
/// - Anything else (unparseable, `-`) counts as itself.
public enum ClientAddressKey {
    /// The key for `address`.
    public static func key(for address: String) -> String {
        guard address.contains(":") else { return address }
        var text = Substring(address)
        // why: a scoped address (fe80::1%eth0) carries its zone after '%' (RFC 4007 §11).
        if let percent = text.firstIndex(of: "%") { text = text[..<percent] }
        guard let parsed = IPAddress(ipv6: text) else { return address }
        switch parsed.unmapped {
        case .v4(let value): return IPAddress.v4(value).description
        case .v6: return parsed.groups[0..<4].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
        }
    }
}
