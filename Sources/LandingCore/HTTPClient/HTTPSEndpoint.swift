/// Where an HTTPS API lives: `https://host[:port][/base-path]`, parsed strictly. The client
/// connects to `host:port`, verifies the certificate for `host`, and prefixes request paths with
/// `basePath`.
public struct HTTPSEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// A DNS name (lower-cased), an IPv4 literal, or an IPv6 literal without brackets.
    public var host: String
    public var port: Int
    /// Empty, or `/segment...` without a trailing slash.
    public var basePath: String

    /// Why a URL was refused.
    public enum ParseError: Error, Sendable, Equatable {
        case notHTTPS
        case invalidHost
        case invalidPort
        /// Userinfo, a query, a fragment or a non-ASCII/unsafe path byte.
        case unsupportedComponent
    }

    public init(host: String, port: Int = 443, basePath: String = "") {
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// Parses `https://host[:port][/path]` (RFC 3986 §3; only the https scheme, RFC 9110 §4.2.2).
    public init(url: String) throws(ParseError) {
        guard url.utf8.count <= 2048, url.lowercased().hasPrefix("https://") else { throw .notHTTPS }
        var rest = Substring(url.dropFirst(8))
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        guard !rest.contains("@"), !rest.contains("?"), !rest.contains("#"), !path.contains("?"), !path.contains("#") else {
            throw .unsupportedComponent
        }
        var hostPart = rest
        var port = 443
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .invalidHost }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidHost }
                port = try Self.parsePort(after.dropFirst())
            }
            guard !hostPart.isEmpty, hostPart.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }), hostPart.contains(":") else {
                throw .invalidHost
            }
        } else {
            if let colon = rest.lastIndex(of: ":") {
                hostPart = rest[..<colon]
                port = try Self.parsePort(rest[rest.index(after: colon)...])
            }
            // RFC 3986 §3.2.2 reg-name, restricted to what DNS names hold: letters, digits, "-", ".".
            guard !hostPart.isEmpty, hostPart.utf8.count <= 253,
                hostPart.utf8.allSatisfy({ HTTPGrammar.isAlpha($0) || HTTPGrammar.isDigit($0) || $0 == 0x2D || $0 == 0x2E }),
                !hostPart.hasPrefix("."), !hostPart.contains("..")
            else { throw .invalidHost }
        }
        while path.hasSuffix("/") { path.removeLast() }
        guard path.utf8.allSatisfy({ HTTPGrammar.isVisibleASCII($0) }) else { throw .unsupportedComponent }
        self.host = hostPart.lowercased()
        self.port = port
        self.basePath = path
    }

    private static func parsePort(_ text: Substring) throws(ParseError) -> Int {
        guard (1...5).contains(text.utf8.count), text.utf8.allSatisfy(HTTPGrammar.isDigit), let port = Int(text), (1...65535).contains(port) else {
            throw .invalidPort
        }
        return port
    }

    /// Whether `host` is an IP literal (certificates name those in iPAddress SANs, and TLS SNI
    /// must not carry them: RFC 6066 §3).
    public var hostIsIPAddress: Bool {
        host.contains(":") || (host.split(separator: ".", omittingEmptySubsequences: false).count == 4 && host.utf8.allSatisfy { HTTPGrammar.isDigit($0) || $0 == 0x2E })
    }

    /// The Host field's value (RFC 9110 §7.2): the port only when not 443, IPv6 in brackets.
    public var hostField: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 443 ? name : "\(name):\(port)"
    }

    public var description: String { "https://\(hostField)\(basePath)" }
}
