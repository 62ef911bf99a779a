extension ConfigValueParser {
    /// `--public-url`: the external base URL the server builds its own links from, and the prefix
    /// of the `oauthRedirectUri` integrators register. Returns it normalized: scheme and host in
    /// lower case, trailing slashes removed.
    ///
    /// RFC 3986 §3, restricted to what a redirect base may be:
    ///   URI          = scheme ":" hier-part [ "?" query ] [ "#" fragment ]   → no query, no fragment
    ///   hier-part    = "//" authority path-abempty                          → absolute, with a host
    ///   authority    = [ userinfo "@" ] host [ ":" port ]                   → no userinfo
    ///   path-abempty = *( "/" segment ) ; segment = *pchar
    ///   pchar        = unreserved / pct-encoded / sub-delims / ":" / "@"
    /// The scheme must be https, also in `--dev`: aggregators refuse http redirect URIs.
    static func publicURL(_ text: String) throws(ConfigValueError) -> String {
        let example = "expected an absolute https URL like https://landing.example.com or https://example.com/oauth"
        guard !text.isEmpty else { throw ConfigValueError(reason: "empty; \(example)") }
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw ConfigValueError(
                reason:
                    "contains a space, a control or a non-ASCII character (percent-encode it, or use the punycode host name)"
            )
        }
        guard let separator = text.range(of: "://") else {
            throw ConfigValueError(reason: "not an absolute URL; \(example)")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "https" else {
            if scheme == "http" {
                throw ConfigValueError(
                    reason: "http is not allowed, not even with --dev: OAuth redirect URIs must use https")
            }
            throw ConfigValueError(reason: "scheme \(ConfigText.quoted(scheme)) is not allowed; \(example)")
        }
        let rest = text[separator.upperBound...]
        if rest.contains("#") {
            throw ConfigValueError(reason: "a base URL must not have a fragment ('#…')")
        }
        if rest.contains("?") {
            throw ConfigValueError(reason: "a base URL must not have a query ('?…')")
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = rest[authorityEnd...]
        guard !authority.contains("@") else {
            // why: the value is not echoed, since user info usually holds a password.
            throw ConfigValueError(
                reason: "user info ('user:password@') is not allowed in the URL", echoesValue: false)
        }
        guard !authority.isEmpty else { throw ConfigValueError(reason: "missing host; \(example)") }

        let host = try urlHost(authority)
        guard isValidPath(path) else {
            throw ConfigValueError(
                reason: "the path has a character RFC 3986 does not allow there, or a bad %-escape")
        }
        while path.hasSuffix("/") { path = path.dropLast() }
        return "https://" + host + path
    }

    /// `host [ ":" port ]` of a URL, host lower-cased, IPv6 kept in brackets.
    static func urlHost(_ authority: Substring) throws(ConfigValueError) -> String {
        let host: Substring
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw ConfigValueError(reason: "missing ']' after the IPv6 address")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            guard HostSyntax.isIPv6(host) else {
                throw ConfigValueError(reason: "\(ConfigText.quoted(String(host))) is not an IPv6 address")
            }
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw ConfigValueError(reason: "unexpected text after ']'") }
                port = rest.dropFirst()
            }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                port = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            guard !host.isEmpty else { throw ConfigValueError(reason: "missing host") }
            guard HostSyntax.isNameOrIPv4(host) else {
                throw ConfigValueError(
                    reason: "host \(ConfigText.quoted(String(host))) is neither a host name nor an IPv4 address")
            }
        }
        var result = authority.hasPrefix("[") ? "[\(host.lowercased())]" : host.lowercased()
        if let port {
            result += ":\(try self.port(port, allowed: 1...65535))"
        }
        return result
    }

    /// path-abempty = *( "/" segment ), with pct-encoded = "%" HEXDIG HEXDIG.
    static func isValidPath(_ path: Substring) -> Bool {
        let allowedMarks = Set("-._~!$&'()*+,;=:@/".utf8)
        let bytes = Array(path.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count,
                    HostSyntax.isHexDigit(bytes[index + 1]), HostSyntax.isHexDigit(bytes[index + 2])
                else { return false }
                index += 3
                continue
            }
            guard HostSyntax.isLetterOrDigit(byte) || allowedMarks.contains(byte) else { return false }
            index += 1
        }
        return true
    }
}
