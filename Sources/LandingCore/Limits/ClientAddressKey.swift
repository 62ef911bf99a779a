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
        guard let groups = hextets(text) else { return address }
        if groups[0..<5].allSatisfy({ $0 == 0 }), groups[5] == 0xFFFF {
            return "\(groups[6] >> 8).\(groups[6] & 0xFF).\(groups[7] >> 8).\(groups[7] & 0xFF)"
        }
        return groups[0..<4].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// The eight 16-bit groups of an IPv6 address in RFC 4291 §2.2 text form (`::` once at most,
    /// an IPv4 tail allowed); nil when it is not one.
    static func hextets(_ text: Substring) -> [UInt16]? {
        let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count <= 2, !(halves.count == 2 && halves[1].contains("::")) else { return nil }
        func groups(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = ipv4(piece) else { return nil }
                    result += [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                } else {
                    guard (1...4).contains(piece.utf8.count), let value = UInt16(piece, radix: 16) else { return nil }
                    result.append(value)
                }
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
        return head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
    }

    /// Dotted-quad IPv4 as a 32-bit number; nil when malformed.
    private static func ipv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let byte = UInt32(part), byte <= 255
            else { return nil }
            value = value << 8 | byte
        }
        return value
    }
}
