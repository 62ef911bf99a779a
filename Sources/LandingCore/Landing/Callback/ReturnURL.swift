/// An absolute URL parsed strictly, for deciding whether it may be a "return to app" link.
///
/// RFC 3986 §3, restricted:
///   URI          = scheme ":" "//" authority path-abempty [ "?" query ] [ "#" fragment ]
///   scheme       = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
///   authority    = host [ ":" port ]            → userinfo ("@") refused
///   host         = "[" IPv6address "]" / IPv4address / DNS name (RFC 1123), no pct-encoding
///   port         = 1*5DIGIT, 1–65535, no leading zero
///   path-abempty = *( "/" segment ), segment = *pchar
///   query        = *( pchar / "/" / "?" ), fragment = the same
///   pchar        = unreserved / pct-encoded / sub-delims / ":" / "@"
/// Only RFC 3986 characters are accepted (§2: unreserved, reserved, `%HH`). Percent-encoding may
/// not smuggle what could not appear raw: an encoded control, space, non-ASCII byte or one of
/// `"<>\^`{|}` is refused too. Browsers silently drop tabs and newlines, treat `\` as `/` and
/// decode some of these, so anything they would repair is refused rather than guessed at.
struct ReturnURL: Sendable, Equatable {
    /// Lower case.
    var scheme: String
    /// Lower case; an IPv6 address keeps its brackets.
    var host: String
    /// The explicit port, if any.
    var port: Int?
    /// Possibly empty (`https://host?x`); otherwise starts with `/`.
    var path: String
    var query: String?
    var fragment: String?

    /// The port the URL really uses: the explicit one, else the scheme's default (https 443,
    /// http 80); nil for a custom scheme without a port.
    var effectivePort: Int? {
        port ?? ReturnURL.defaultPorts[scheme]
    }

    static let defaultPorts = ["https": 443, "http": 80]

    init(parsing text: String, maxLength: Int) throws(ReturnURLPolicyError) {
        guard !text.isEmpty else { throw .empty }
        guard text.utf8.count <= maxLength else { throw .tooLong }
        try Self.checkCharacters(text.utf8)

        // scheme ":" "//"
        guard let colon = text.firstIndex(of: ":") else { throw .notAbsolute }
        let scheme = text[..<colon]
        guard Self.isScheme(scheme) else { throw .notAbsolute }
        let afterColon = text[text.index(after: colon)...]
        guard afterColon.hasPrefix("//") else { throw .notAbsolute }
        let rest = afterColon.dropFirst(2)

        // authority: up to the first "/", "?" or "#" (RFC 3986 §3.2).
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.contains("@") else { throw .userInfo }
        let (host, port) = try Self.hostAndPort(authority)

        // path-abempty [ "?" query ] [ "#" fragment ]
        var remainder = rest[authorityEnd...]
        var fragment: Substring?
        if let hash = remainder.firstIndex(of: "#") {
            fragment = remainder[remainder.index(after: hash)...]
            remainder = remainder[..<hash]
        }
        var query: Substring?
        if let question = remainder.firstIndex(of: "?") {
            query = remainder[remainder.index(after: question)...]
            remainder = remainder[..<question]
        }
        let path = remainder
        // "[" and "]" are gen-delims allowed only around an IPv6 host; "#" only once.
        guard ![path, query ?? "", fragment ?? ""].contains(where: { $0.contains(where: { "[]#".contains($0) }) })
        else { throw .invalidCharacter }
        try Self.checkPath(path)

        self.scheme = scheme.lowercased()
        self.host = host
        self.port = port
        self.path = String(path)
        self.query = query.map(String.init)
        self.fragment = fragment.map(String.init)
    }

    /// Every byte is an RFC 3986 character, and every `%HH` is well formed and decodes to visible
    /// ASCII other than `"<>\^`{|}`.
    private static func checkCharacters(_ bytes: String.UTF8View) throws(ReturnURLPolicyError) {
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(FormDecoder.hexValue),
                    let low = iterator.next().flatMap(FormDecoder.hexValue)
                else { throw .malformedPercentEncoding }
                let decoded = high << 4 | low
                guard decoded >= 0x21, decoded <= 0x7E, !isUnsafeButVisible(decoded) else {
                    throw .invalidCharacter
                }
            } else {
                guard isURLCharacter(byte) else { throw .invalidCharacter }
            }
        }
    }

    /// unreserved / reserved (RFC 3986 §2.2, §2.3); `%` is handled by the caller.
    private static func isURLCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "-._~:/?#[]@!$&'()*+,;=".utf8.contains(byte)
        }
    }

    /// Visible ASCII that RFC 3986 never allows, raw or (here) encoded.
    private static func isUnsafeButVisible(_ byte: UInt8) -> Bool {
        "\"<>\\^`{|}".utf8.contains(byte)
    }

    /// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )  (RFC 3986 §3.1)
    private static func isScheme(_ text: Substring) -> Bool {
        guard let first = text.utf8.first, HostSyntax.isLetterOrDigit(first), !HostSyntax.isDigit(first) else {
            return false
        }
        return text.utf8.allSatisfy { HostSyntax.isLetterOrDigit($0) || "+-.".utf8.contains($0) }
    }

    /// host [ ":" port ], host lower-cased.
    private static func hostAndPort(_ authority: Substring) throws(ReturnURLPolicyError) -> (String, Int?) {
        guard !authority.isEmpty else { throw .missingHost }
        let host: String
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidHost }
            let address = authority[authority.index(after: authority.startIndex)..<close]
            guard HostSyntax.isIPv6(address) else { throw .invalidHost }
            host = "[" + address.lowercased() + "]"
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidHost }
                portText = after.dropFirst()
            }
        } else {
            let colon = authority.firstIndex(of: ":")
            let name = authority[..<(colon ?? authority.endIndex)]
            guard !name.isEmpty else { throw .missingHost }
            // No pct-encoding, no trailing dot, no brackets: a DNS name or a dotted IPv4 address.
            guard HostSyntax.isNameOrIPv4(name), !endsInNumber(name) || HostSyntax.isIPv4(name) else {
                throw .invalidHost
            }
            host = name.lowercased()
            portText = colon.map { authority[authority.index(after: $0)...] }
        }
        guard let portText else { return (host, nil) }
        // port = 1*5DIGIT, 1–65535, no leading zero (so one spelling per port).
        guard (1...5).contains(portText.utf8.count), portText.utf8.allSatisfy(HostSyntax.isDigit),
            portText.utf8.first != UInt8(ascii: "0"), let port = Int(portText), port <= 65535
        else { throw .invalidPort }
        return (host, port)
    }

    /// WHATWG URL "ends in a number": a host whose last label is decimal or `0x` hex is parsed by
    /// browsers as an IPv4 address (`0x7f.1` is 127.0.0.1), so only dotted decimal is accepted.
    private static func endsInNumber(_ host: Substring) -> Bool {
        guard let last = host.split(separator: ".", omittingEmptySubsequences: false).last else { return false }
        if last.utf8.allSatisfy(HostSyntax.isDigit) { return true }
        let lower = last.lowercased()
        return lower.hasPrefix("0x") && lower.dropFirst(2).utf8.allSatisfy(HostSyntax.isHexDigit)
    }

    /// No dot segments (also `..;x`, a path parameter some servers strip), no encoded `.`, `/` or
    /// `\`, no empty segment (`//`): each would let a server or browser resolve the path elsewhere
    /// than its text says.
    private static func checkPath(_ path: Substring) throws(ReturnURLPolicyError) {
        let lower = path.lowercased()
        guard !lower.contains("%2e"), !lower.contains("%2f"), !lower.contains("%5c"), !lower.contains("//") else {
            throw .unsafePath
        }
        for segment in path.split(separator: "/") {
            let beforeParameters = segment.prefix(while: { $0 != ";" })
            guard beforeParameters != ".", beforeParameters != ".." else { throw .unsafePath }
        }
    }
}
