extension ConfigValueParser {
    /// Hosts a plain-http opener origin may name: the developer's own machine (as for return links,
    /// `ReturnURLPolicy.loopbackHosts`).
    static let loopbackHosts: Set<String> = ["localhost", "127.0.0.1"]

    /// Ports an origin uses when it names none.
    static let defaultPorts = ["https": 443, "http": 80]

    /// The parts of a return link (`--allowed-return-url`, `--return-url`), normalized: scheme and
    /// host in lower case, IPv6 in brackets.
    struct AppURL: Equatable {
        var scheme: String
        var host: String
        var port: Int?
        /// Empty, or starting with `/`.
        var path: String
        var query: String?

        /// The URL as text: `scheme://host[:port]path[?query]`.
        var text: String {
            scheme + "://" + host + (port.map { ":\($0)" } ?? "") + path + (query.map { "?" + $0 } ?? "")
        }
    }

    /// `--allowed-return-url`: a prefix return links must start with. The rules are the ones the
    /// landing flow enforces at run time (`ReturnURLPolicy.validatePrefix`), then `appURL`'s (the
    /// same, written out here too). Returned normalized (scheme and host in lower case).
    static func returnURLPrefix(_ text: String) throws(ConfigValueError) -> String {
        try checkWithPolicy(text, isPrefix: true)
        return try appURL(text, allowsQuery: false).text
    }

    /// `--return-url`: the default "return to app" link. The rules of a prefix for everything
    /// before the `?`; a query may follow, with the characters the landing flow accepts in a
    /// session's `returnUrl` (`ReturnURL`: RFC 3986, no encoded space, control or `"<>\^`{|}`).
    static func returnURL(_ text: String) throws(ConfigValueError) -> String {
        try checkWithPolicy(String(text.prefix(while: { $0 != "?" })), isPrefix: false)
        do {
            _ = try ReturnURL(parsing: text, maxLength: ReturnURLPolicy.maxURLLength)
        } catch {
            throw policyError(error, isPrefix: false)
        }
        return try appURL(text, allowsQuery: true).text
    }

    /// Whether `--return-url` is allowed by the `--allowed-return-url` prefixes, as the landing flow
    /// decides for a session's `returnUrl` (`ReturnURLPolicy.allows`: same scheme, host and port,
    /// path under a prefix's path at a segment boundary).
    static func returnURL(_ url: String, isAllowedBy prefixes: [String]) -> Bool {
        guard let policy = try? ReturnURLPolicy(allowedPrefixes: prefixes) else { return false }
        return policy.allows(url)
    }

    /// `ReturnURLPolicy.validatePrefix`, its refusal as a `ConfigValueError`.
    private static func checkWithPolicy(_ text: String, isPrefix: Bool) throws(ConfigValueError) {
        do {
            try ReturnURLPolicy.validatePrefix(text)
        } catch {
            throw policyError(error, isPrefix: isPrefix)
        }
    }

    /// A policy refusal as a `ConfigValueError`; the URL is not repeated when it has user info.
    private static func policyError(_ error: ReturnURLPolicyError, isPrefix: Bool) -> ConfigValueError {
        // why: the policy's sentences speak of "the return URL prefix"; for --return-url that would
        // send the operator to the wrong option.
        let reason = isPrefix ? error.explanation : error.explanation.replacing("return URL prefix", with: "return URL")
        return ConfigValueError(reason: reason, echoesValue: error != .userInfo)
    }

    /// A link the landing page may send the user back to, RFC 3986 §3 restricted:
    ///   URI       = scheme "://" authority path-abempty [ "?" query ]      → no fragment
    ///   scheme    = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )            → https, or any custom
    ///               scheme (`myapp://done`) but `ReturnURLPolicy.forbiddenSchemes`; http only to a loopback host
    ///   authority = host [ ":" port ]                                      → no userinfo
    ///   host      = DNS name (RFC 1123) / IPv4address / "[" IPv6address "]"
    ///   path-abempty = *( "/" segment ), no "//", no "." or ".." segment, no %2E, %2F or %5C
    ///   query     = *( pchar / "/" / "?" )                                 → only when `allowsQuery`
    /// Visible ASCII only: anything else must be percent-encoded.
    static func appURL(_ text: String, allowsQuery: Bool) throws(ConfigValueError) -> AppURL {
        let example = "expected an absolute URL like https://app.example.com/done or myapp://done"
        guard !text.isEmpty else { throw ConfigValueError(reason: "empty; \(example)") }
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw ConfigValueError(
                reason: "contains a space, a control or a non-ASCII character (percent-encode it, or use the"
                    + " punycode host name)")
        }
        guard let colon = text.firstIndex(of: ":"), isScheme(text[..<colon]) else {
            throw ConfigValueError(reason: "not an absolute URL; \(example)")
        }
        let scheme = text[..<colon].lowercased()
        guard !ReturnURLPolicy.forbiddenSchemes.contains(scheme) else {
            throw ConfigValueError(reason: "the scheme \(ConfigText.quoted(scheme)) is not allowed for a return URL")
        }
        let afterColon = text[text.index(after: colon)...]
        guard afterColon.hasPrefix("//") else {
            throw ConfigValueError(reason: "missing '//' and a host after the scheme; \(example)")
        }
        var rest = afterColon.dropFirst(2)
        guard !rest.contains("#") else {
            throw ConfigValueError(reason: "a return link must not have a fragment ('#…')")
        }
        var query: Substring?
        if let question = rest.firstIndex(of: "?") {
            guard allowsQuery else {
                throw ConfigValueError(reason: "a prefix must not have a query ('?…')")
            }
            query = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]
        guard !authority.contains("@") else {
            // why: the value is not echoed, since user info usually holds a password.
            throw ConfigValueError(
                reason: "user info ('user:password@') is not allowed in the URL", echoesValue: false)
        }
        guard !authority.isEmpty else { throw ConfigValueError(reason: "missing host; \(example)") }
        let (host, port) = try hostAndPort(authority)
        try checkHTTPIsLoopback(scheme: scheme, host: host)
        guard isValidPath(path) else {
            throw ConfigValueError(
                reason: "the path has a character RFC 3986 does not allow there, or a bad %-escape")
        }
        try checkPathIsUnambiguous(path)
        if let query {
            guard query.split(separator: "?", omittingEmptySubsequences: false).allSatisfy(isValidPath) else {
                throw ConfigValueError(
                    reason: "the query has a character RFC 3986 does not allow there, or a bad %-escape")
            }
        }
        return AppURL(scheme: scheme, host: host, port: port, path: String(path), query: query.map(String.init))
    }

    /// `--opener-origin`: an exact origin (RFC 6454 §4) the desktop page may post its result to:
    /// `https://host[:port]`, or `http://` to a loopback host. No wildcard, path (a trailing `/`
    /// is dropped), query, fragment or user info. Returned as the browser serializes it (RFC 6454
    /// §6.2): lower case, without the scheme's default port.
    static func openerOrigin(_ text: String) throws(ConfigValueError) -> String {
        let example = "expected an origin like https://app.example.com or https://app.example.com:8443"
        guard !text.isEmpty else { throw ConfigValueError(reason: "empty; \(example)") }
        guard !text.contains("*") else {
            throw ConfigValueError(reason: "a wildcard ('*') is not allowed; list each exact origin")
        }
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw ConfigValueError(
                reason: "contains a space, a control or a non-ASCII character (use the punycode host name)")
        }
        guard let separator = text.range(of: "://") else {
            throw ConfigValueError(reason: "not an origin; \(example)")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw ConfigValueError(
                reason: "scheme \(ConfigText.quoted(scheme)) is not allowed: an opener origin is https (http"
                    + " only for localhost and 127.0.0.1)")
        }
        var rest = text[separator.upperBound...]
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("@") else {
            throw ConfigValueError(
                reason: "user info ('user:password@') is not allowed in an origin", echoesValue: false)
        }
        guard !rest.contains("?"), !rest.contains("#") else {
            throw ConfigValueError(reason: "an origin has no query or fragment; \(example)")
        }
        guard !rest.contains("/") else {
            throw ConfigValueError(reason: "an origin has no path (only a trailing '/' is tolerated); \(example)")
        }
        guard !rest.isEmpty else { throw ConfigValueError(reason: "missing host; \(example)") }
        let (host, port) = try hostAndPort(rest)
        try checkHTTPIsLoopback(scheme: scheme, host: host)
        let shownPort = port == defaultPorts[scheme] ? nil : port
        return scheme + "://" + host + (shownPort.map { ":\($0)" } ?? "")
    }

    /// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )  (RFC 3986 §3.1)
    private static func isScheme(_ text: Substring) -> Bool {
        guard let first = text.utf8.first, HostSyntax.isLetterOrDigit(first), !HostSyntax.isDigit(first) else {
            return false
        }
        return text.utf8.allSatisfy { HostSyntax.isLetterOrDigit($0) || "+-.".utf8.contains($0) }
    }

    /// `urlHost` split into the lower-cased host (IPv6 in brackets) and the port, if any. A name
    /// whose last label is all digits is refused: browsers would read it as a malformed IPv4 address.
    private static func hostAndPort(_ authority: Substring) throws(ConfigValueError) -> (host: String, port: Int?) {
        let normalized = try urlHost(authority)
        let hostEnd: String.Index
        if normalized.hasPrefix("[") {
            hostEnd = normalized.index(after: normalized.firstIndex(of: "]")!)
        } else {
            hostEnd = normalized.firstIndex(of: ":") ?? normalized.endIndex
        }
        let host = String(normalized[..<hostEnd])
        let port = normalized[hostEnd...].dropFirst()
        if !host.hasPrefix("["), !HostSyntax.isIPv4(host[...]),
            let last = host.split(separator: ".").last, last.utf8.allSatisfy(HostSyntax.isDigit)
        {
            throw ConfigValueError(
                reason: "host \(ConfigText.quoted(host)) ends in a number but is not an IPv4 address")
        }
        return (host, port.isEmpty ? nil : Int(port))
    }

    /// Plain http is for development only: it must stay on the developer's machine.
    private static func checkHTTPIsLoopback(scheme: String, host: String) throws(ConfigValueError) {
        guard scheme == "http", !loopbackHosts.contains(host) else { return }
        throw ConfigValueError(reason: "http is only allowed for localhost and 127.0.0.1; use https")
    }

    /// A path that every client resolves the way it reads: no empty segment (`//`), no `.` or
    /// `..` segment (also before a `;` parameter), no percent-encoded `.`, `/` or `\`.
    private static func checkPathIsUnambiguous(_ path: Substring) throws(ConfigValueError) {
        let lower = path.lowercased()
        let encodedDotOrSlash = ["%2e", "%2f", "%5c"].contains { lower.contains($0) }
        let dotSegment = path.split(separator: "/").contains { segment in
            let name = segment.prefix(while: { $0 != ";" })
            return name == "." || name == ".."
        }
        guard !lower.contains("//"), !encodedDotOrSlash, !dotSegment else {
            throw ConfigValueError(
                reason: "the path must not contain '//', a '.' or '..' segment, or an encoded '.', '/' or '\\'")
        }
    }
}
