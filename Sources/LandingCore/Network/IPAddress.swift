/// An IPv4 or IPv6 address as a number, with the strict text forms of `inet_pton` (parsing) and
/// glibc's `inet_ntop` (printing), so an address from a PROXY protocol header prints exactly as
/// the same address taken from a socket would, and keys (`ClientAddressKey`) agree.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 address, most significant byte first (192.0.2.1 is 0xC000_0201).
    case v4(UInt32)
    /// An IPv6 address, most significant byte first.
    case v6(UInt128)

    /// The address in `bytes` (4 for IPv4, 16 for IPv6, network byte order); nil for any other count.
    public init?(networkBytes bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4: self = .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16: self = .v6(bytes.reduce(0) { $0 << 8 | UInt128($1) })
        default: return nil
        }
    }

    /// The address written in `text`: IPv4 dotted decimal or IPv6 (see `init(ipv4:)`, `init(ipv6:)`).
    public init?(_ text: some StringProtocol) {
        if let v4 = IPAddress(ipv4: text) {
            self = v4
        } else if let v6 = IPAddress(ipv6: text) {
            self = v6
        } else {
            return nil
        }
    }

    /// IPv4 dotted decimal, RFC 3986 §3.2.2:
    ///   IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet
    ///   dec-octet   = DIGIT / %x31-39 DIGIT / "1" 2DIGIT / "2" %x30-34 DIGIT / "25" %x30-35
    /// so no leading zeros (`010.0.0.1` reads as octal to some parsers, as decimal to others).
    public init?(ipv4 text: some StringProtocol) {
        guard let value = Self.ipv4Value(Substring(text)) else { return nil }
        self = .v4(value)
    }

    /// IPv6 text form, RFC 4291 §2.2: eight groups of 1 to 4 hex digits (either case) separated by
    /// `:`, at most one `::` standing for one or more zero groups, and optionally an IPv4 dotted
    /// tail (`init(ipv4:)`) standing for the last two groups. No zone (`%eth0`), no brackets.
    public init?(ipv6 text: some StringProtocol) {
        guard let groups = Self.ipv6Groups(Substring(text)) else { return nil }
        self = .v6(groups.reduce(0) { $0 << 16 | UInt128($1) })
    }

    /// Whether this is an IPv4 address.
    public var isIPv4: Bool {
        if case .v4 = self { true } else { false }
    }

    /// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, RFC 4291 §2.5.5.2) as the IPv4 address it
    /// stands for; any other address as itself. A dual-stack socket reports IPv4 peers this way.
    public var unmapped: IPAddress {
        guard case .v6(let value) = self, value >> 32 == 0xFFFF else { return self }
        return .v4(UInt32(truncatingIfNeeded: value))
    }

    /// The eight 16-bit groups of an IPv6 address (an IPv4 address as its IPv4-mapped form).
    public var groups: [UInt16] {
        let value: UInt128
        switch self {
        case .v4(let v4): value = 0xFFFF << 32 | UInt128(v4)
        case .v6(let v6): value = v6
        }
        return (0..<8).map { UInt16(truncatingIfNeeded: value >> (16 * (7 - $0))) }
    }

    /// The address as glibc's `inet_ntop` writes it: IPv4 dotted decimal; IPv6 in lower case with
    /// the longest run of two or more zero groups (the first of equal runs) written `::` (RFC 5952
    /// §4.2), and an IPv4 tail for IPv4-mapped (`::ffff:192.0.2.1`) and IPv4-compatible
    /// (`::192.0.2.1`) addresses.
    public var description: String {
        switch self {
        case .v4(let value):
            return Self.dotted(value)
        case .v6(let value):
            let groups = self.groups
            var best: (start: Int, length: Int) = (-1, 0)
            var index = 0
            while index < 8 {
                guard groups[index] == 0 else {
                    index += 1
                    continue
                }
                var end = index
                while end < 8 && groups[end] == 0 { end += 1 }
                if end - index > best.length { best = (index, end - index) }
                index = end
            }
            if best.length < 2 { best = (-1, 0) }
            // why: glibc prints an IPv4 tail when the first six groups are zero (compatible) or the
            // first five are zero and the sixth is ffff (mapped); ::, ::1 and ::ffff alone excluded.
            let ipv4Tail = best.start == 0 && (best.length == 6 || (best.length == 5 && groups[5] == 0xFFFF))
            var text = ""
            var group = 0
            while group < 8 {
                if group == best.start {
                    text += "::"
                    group += best.length
                    continue
                }
                if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
                if ipv4Tail && group == 6 {
                    text += Self.dotted(UInt32(truncatingIfNeeded: value))
                    break
                }
                text += String(groups[group], radix: 16)
                group += 1
            }
            return text
        }
    }

    // why: written byte by byte; four interpolated integers cost ~5k instructions, and every
    // accepted connection prints its peer's address once (the access log's `remote`).
    private static func dotted(_ value: UInt32) -> String {
        String(unsafeUninitializedCapacity: 15) { buffer in
            var count = 0
            for shift in stride(from: 24, through: 0, by: -8) {
                let octet = UInt8(truncatingIfNeeded: value >> UInt32(shift))
                if shift != 24 {
                    buffer[count] = UInt8(ascii: ".")
                    count += 1
                }
                if octet >= 100 {
                    buffer[count] = 0x30 + octet / 100
                    count += 1
                }
                if octet >= 10 {
                    buffer[count] = 0x30 + octet / 10 % 10
                    count += 1
                }
                buffer[count] = 0x30 + octet % 10
                count += 1
            }
            return count
        }
    }

    // MARK: - Parsing

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// Dotted decimal IPv4 (RFC 3986 dec-octets) as a number; nil when malformed.
    static func ipv4Value(_ text: Substring) -> UInt32? {
        let octets = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard (1...3).contains(octet.count), octet.allSatisfy(isDigit),
                octet.count == 1 || octet.first != UInt8(ascii: "0")
            else { return nil }
            let byte = octet.reduce(UInt32(0)) { $0 * 10 + UInt32($1 - 0x30) }
            guard byte <= 255 else { return nil }
            value = value << 8 | byte
        }
        return value
    }

    /// The eight groups of an RFC 4291 §2.2 IPv6 text form; nil when malformed.
    static func ipv6Groups(_ text: Substring) -> [UInt16]? {
        guard text.utf8.count >= 2, text.utf8.count <= 45 else { return nil }
        let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        guard !(halves.count == 2 && halves[1].contains("::")) else { return nil }
        func groups(_ part: Substring, mayEndInIPv4: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if mayEndInIPv4, index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = ipv4Value(piece) else { return nil }
                    result += [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                } else {
                    guard (1...4).contains(piece.utf8.count), piece.utf8.allSatisfy(HostSyntax.isHexDigit),
                        let value = UInt16(piece, radix: 16)
                    else { return nil }
                    result.append(value)
                }
            }
            return result
        }
        guard let head = groups(halves[0], mayEndInIPv4: halves.count == 1) else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard let tail = groups(halves[1], mayEndInIPv4: true), head.count + tail.count <= 7 else { return nil }
        return head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
    }
}
