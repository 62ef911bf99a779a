/// Syntax checks for the host part of `HOST:PORT` and of `--public-url`. Pure string checks: no
/// name resolution.
enum HostSyntax {
    /// IPv4 dotted-decimal, RFC 3986 §3.2.2:
    ///   IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet
    ///   dec-octet   = DIGIT / %x31-39 DIGIT / "1" 2DIGIT / "2" %x30-34 DIGIT / "25" %x30-35
    /// (so no leading zeros: `010.0.0.1` is ambiguous between decimal and octal and is refused).
    static func isIPv4(_ text: Substring) -> Bool {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        return octets.allSatisfy { octet in
            guard (1...3).contains(octet.utf8.count), octet.utf8.allSatisfy(isDigit),
                let value = Int(octet), value <= 255
            else { return false }
            return octet.utf8.count == 1 || octet.utf8.first != UInt8(ascii: "0")
        }
    }

    /// IPv6 text form, RFC 4291 §2.2 (as RFC 3986's IPv6address): eight groups of 1–4 hex digits,
    /// one `::` for a run of zero groups, and an optional IPv4 tail standing for the last two groups.
    /// Zone identifiers (`%eth0`) are not accepted.
    static func isIPv6(_ text: Substring) -> Bool {
        guard text.utf8.count >= 2, text.utf8.count <= 45 else { return false }
        let halves = text.split(separator: "::", maxSplits: 2, omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return false }
        var groups = 0
        for (halfIndex, half) in halves.enumerated() where !half.isEmpty {
            let parts = half.split(separator: ":", omittingEmptySubsequences: false)
            for (partIndex, part) in parts.enumerated() {
                let isLastOfAddress = halfIndex == halves.count - 1 && partIndex == parts.count - 1
                if isLastOfAddress, part.contains(".") {
                    guard isIPv4(part) else { return false }
                    groups += 2
                } else {
                    guard (1...4).contains(part.utf8.count), part.utf8.allSatisfy(isHexDigit) else {
                        return false
                    }
                    groups += 1
                }
            }
        }
        return halves.count == 2 ? groups <= 7 : groups == 8
    }

    /// A DNS host name, RFC 1123 §2.1 (as refined from RFC 952): dot-separated labels of letters,
    /// digits and hyphens, 1–63 characters, not starting or ending with a hyphen; 253 characters in
    /// all. A name made only of digits and dots must be a valid IPv4 address instead.
    static func isHostname(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        if text.utf8.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: ".") }) { return false }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            guard (1...63).contains(label.utf8.count),
                label.utf8.allSatisfy({ isLetterOrDigit($0) || $0 == UInt8(ascii: "-") })
            else { return false }
            return label.utf8.first != UInt8(ascii: "-") && label.utf8.last != UInt8(ascii: "-")
        }
    }

    /// A host that is not in brackets: an IPv4 address or a host name.
    static func isNameOrIPv4(_ text: Substring) -> Bool {
        isIPv4(text) || isHostname(text)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
