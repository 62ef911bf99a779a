/// Why a configured return-URL prefix is refused. `allows` reports candidates only as yes/no.
public enum ReturnURLPolicyError: Error, Sendable, Equatable {
    case empty
    /// Longer than `ReturnURLPolicy.maxURLLength`.
    case tooLong
    /// A character RFC 3986 does not allow (space, control, non-ASCII, `"<>\^`{|}`), raw or
    /// percent-encoded, or `[`/`]` outside an IPv6 host, or a second `#`.
    case invalidCharacter
    /// A `%` not followed by two hex digits.
    case malformedPercentEncoding
    /// Not `scheme://…`.
    case notAbsolute
    /// A scheme that runs code or opens local content: `javascript`, `data`, `vbscript`, `file`,
    /// `intent`, `blob`, `filesystem`, `about`, `view-source`.
    case forbiddenScheme(String)
    /// `http` with a host other than `localhost` or `127.0.0.1`.
    case insecureScheme
    /// `user:password@` in the authority.
    case userInfo
    case missingHost
    /// Not a DNS name, a dotted IPv4 address or a bracketed IPv6 address (percent-encoding, a
    /// trailing dot, an empty label and browser-only IPv4 spellings such as `0x7f.1` are refused).
    case invalidHost
    /// Empty, not decimal, a leading zero, or outside 1–65535.
    case invalidPort
    /// A prefix with `?…`.
    case query
    /// A prefix with `#…`.
    case fragment
    /// A `.` or `..` segment, `//`, or an encoded `.`, `/` or `\` (`%2e`, `%2f`, `%5c`) in the path.
    case unsafePath

    /// A sentence for configuration errors. It never quotes the URL (which might hold a password);
    /// `forbiddenScheme` quotes the scheme, which is validated syntax (letters, digits, `+-.`).
    public var explanation: String {
        switch self {
        case .empty: "the return URL prefix is empty"
        case .tooLong: "the return URL prefix is longer than \(ReturnURLPolicy.maxURLLength) bytes"
        case .invalidCharacter:
            "the return URL prefix has a character RFC 3986 does not allow (raw or percent-encoded)"
        case .malformedPercentEncoding: "the return URL prefix has a '%' not followed by two hex digits"
        case .notAbsolute: "the return URL prefix must be absolute, like https://app.example.com/oauth-done"
        case .forbiddenScheme(let scheme): "the scheme '\(scheme)' is not allowed for a return URL"
        case .insecureScheme: "http is allowed only for localhost and 127.0.0.1; use https"
        case .userInfo: "user info ('user:password@') is not allowed in a return URL prefix"
        case .missingHost: "the return URL prefix has no host"
        case .invalidHost: "the host of the return URL prefix is not a valid host name or IP address"
        case .invalidPort: "the port of the return URL prefix is not a number from 1 to 65535"
        case .query: "a return URL prefix must not have a query ('?…')"
        case .fragment: "a return URL prefix must not have a fragment ('#…')"
        case .unsafePath:
            "the path of the return URL prefix has '.' or '..' segments, '//', or an encoded '.', '/' or '\\'"
        }
    }
}

/// Decides whether a URL may be used as a "return to app" link: an allowlist of URL prefixes,
/// matched strictly.
///
/// RFC 9700 §4.11: the landing server must never be an open redirector. A candidate is allowed
/// only when it parses strictly (see `ReturnURL`) and some prefix has the same scheme (ignoring
/// case), exactly the same host (ignoring case), the same port (an explicit default port equals
/// none) and a path the candidate's path starts with at a segment boundary: prefix `/app` allows
/// `/app`, `/app/x`, `/app?x`, `/app#x`, never `/application`. A query and a fragment may follow.
/// A candidate with an empty path (`https://host?x`) never matches.
public struct ReturnURLPolicy: Sendable {
    /// Longest prefix or candidate, in bytes.
    public static let maxURLLength = 2048

    /// Schemes that run code or open local or opaque content in a browser or an OS.
    public static let forbiddenSchemes: Set<String> = [
        "javascript", "data", "vbscript", "file", "intent", "blob", "filesystem", "about", "view-source",
    ]

    /// The only hosts `http` is allowed with.
    public static let loopbackHosts: Set<String> = ["localhost", "127.0.0.1"]

    private let prefixes: [ReturnURL]

    /// An empty list is allowed and allows nothing.
    public init(allowedPrefixes: [String]) throws(ReturnURLPolicyError) {
        var prefixes: [ReturnURL] = []
        for text in allowedPrefixes {
            prefixes.append(try Self.parsePrefix(text))
        }
        self.prefixes = prefixes
    }

    /// Checks one configured prefix: `scheme://host[:port][/path]`, scheme `https` or a custom app
    /// scheme (`http` only for `localhost`/`127.0.0.1`; never a `forbiddenSchemes` one), no
    /// userinfo, no query, no fragment.
    public static func validatePrefix(_ text: String) throws(ReturnURLPolicyError) {
        _ = try parsePrefix(text)
    }

    /// Whether `candidate` is an allowed return link.
    public func allows(_ candidate: String) -> Bool {
        guard let url = try? ReturnURL(parsing: candidate, maxLength: Self.maxURLLength) else { return false }
        return prefixes.contains { prefix in
            url.scheme == prefix.scheme && url.host == prefix.host && url.effectivePort == prefix.effectivePort
                && Self.pathMatches(url.path, prefix: prefix.path)
        }
    }

    /// The candidate path starts with the prefix path, at a segment boundary when the prefix path
    /// does not end in `/`. Case-sensitive: RFC 3986 §6.2.2.1, paths are compared as written.
    static func pathMatches(_ path: String, prefix: String) -> Bool {
        guard path.hasPrefix(prefix) else { return false }
        if prefix.hasSuffix("/") || path.utf8.count == prefix.utf8.count { return true }
        return path.utf8.dropFirst(prefix.utf8.count).first == UInt8(ascii: "/")
    }

    private static func parsePrefix(_ text: String) throws(ReturnURLPolicyError) -> ReturnURL {
        var url = try ReturnURL(parsing: text, maxLength: maxURLLength)
        guard !forbiddenSchemes.contains(url.scheme) else { throw .forbiddenScheme(url.scheme) }
        if url.scheme == "http", !loopbackHosts.contains(url.host) { throw .insecureScheme }
        guard url.query == nil else { throw .query }
        guard url.fragment == nil else { throw .fragment }
        if url.path.isEmpty { url.path = "/" }
        return url
    }
}
