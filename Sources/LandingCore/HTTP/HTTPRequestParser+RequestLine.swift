/// The request line (RFC 9112 §3) and its request-target (RFC 9112 §3.2, RFC 3986).
extension HTTPRequestParser {
    /// The four forms of request-target (RFC 9112 §3.2).
    enum TargetForm: Sendable, Equatable {
        case origin, absolute, authority, asterisk
    }

    /// A parsed, validated request line.
    struct RequestLine: Sendable, Equatable {
        var method: HTTPMethod
        var target: String
        var path: String
        var query: String?
        var version: HTTPVersion
        var form: TargetForm
    }

    /// Parses `bytes[line]`, the request line without its CRLF (which holds no CR or LF).
    static func parseRequestLine(
        _ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>
    ) -> Result<RequestLine, HTTPParseError> {
        let s = line.lowerBound
        let e = line.upperBound
        // RFC 9112 §3: request-line = method SP request-target SP HTTP-version
        // (exactly one SP each; we do not parse on whitespace-delimited words).
        var methodEnd = s
        while methodEnd < e && bytes[methodEnd] != HTTPGrammar.sp { methodEnd += 1 }
        guard methodEnd < e else { return .failure(.malformedRequestLine) }
        // RFC 9110 §9.1: method = token; RFC 9110 §5.6.2: token = 1*tchar
        guard methodEnd > s else { return .failure(.invalidMethod) }
        for p in s..<methodEnd where !HTTPGrammar.isTchar(bytes[p]) {
            return .failure(.invalidMethod)
        }
        let targetStart = methodEnd + 1
        var targetEnd = targetStart
        while targetEnd < e && bytes[targetEnd] != HTTPGrammar.sp { targetEnd += 1 }
        guard targetEnd < e, targetEnd > targetStart else { return .failure(.malformedRequestLine) }

        // RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT ; HTTP-name = %s"HTTP"
        // (case-sensitive, nothing after it on the line).
        let v = targetEnd + 1
        guard e - v == 8, bytes[v] == 0x48, bytes[v + 1] == 0x54, bytes[v + 2] == 0x54,
            bytes[v + 3] == 0x50, bytes[v + 4] == HTTPGrammar.slash,
            HTTPGrammar.isDigit(bytes[v + 5]), bytes[v + 6] == 0x2E, HTTPGrammar.isDigit(bytes[v + 7])
        else { return .failure(.malformedRequestLine) }
        let version = HTTPVersion(major: Int(bytes[v + 5] &- 0x30), minor: Int(bytes[v + 7] &- 0x30))
        // RFC 9110 §15.6.6: 505 for a major version (or, here, any version) we do not support.
        guard version == .http1_1 || version == .http1_0 else { return .failure(.unsupportedVersion) }

        let method = makeMethod(bytes, s..<methodEnd)
        return parseTarget(bytes, targetStart..<targetEnd, method: method).map { parts in
            RequestLine(
                method: method, target: parts.target, path: parts.path, query: parts.query,
                version: version, form: parts.form)
        }
    }

    /// The method for a validated token, without building a String for the usual ones.
    private static func makeMethod(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> HTTPMethod {
        let p = r.lowerBound
        switch r.count {
        case 3 where bytes[p] == 0x47 && bytes[p + 1] == 0x45 && bytes[p + 2] == 0x54: return .get
        case 4 where bytes[p] == 0x48 && bytes[p + 1] == 0x45 && bytes[p + 2] == 0x41 && bytes[p + 3] == 0x44:
            return .head
        case 4 where bytes[p] == 0x50 && bytes[p + 1] == 0x4F && bytes[p + 2] == 0x53 && bytes[p + 3] == 0x54:
            return .post
        default:
            // RFC 9110 §9.1: "The method token is case-sensitive".
            return HTTPMethod(token: string(bytes, r))
        }
    }

    /// The pieces of a request-target.
    struct TargetParts: Sendable, Equatable {
        var target: String
        var path: String
        var query: String?
        var form: TargetForm
    }

    /// Validates `bytes[r]` as a request-target for `method` and splits it.
    static func parseTarget(
        _ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, method: HTTPMethod
    ) -> Result<TargetParts, HTTPParseError> {
        // RFC 3986 §2 and RFC 9112 §3.2: a request-target is made of visible US-ASCII (no CTL,
        // SP, DEL or octets >= 0x80). RFC 9112 §3.2 allows no fragment: none of the four forms
        // contains "#".
        var question: Int?
        for p in r {
            let b = bytes[p]
            guard HTTPGrammar.isVisibleASCII(b), b != HTTPGrammar.hash else { return .failure(.invalidTarget) }
            if b == HTTPGrammar.question && question == nil { question = p }
        }
        let first = bytes[r.lowerBound]

        // RFC 9112 §3.2.3: authority-form = uri-host ":" port — "only used for CONNECT requests",
        // and a CONNECT request-target is always authority-form. RFC 9110 §9.3.6: "There is no
        // default port; a client MUST send the port number", so the port is 1*DIGIT here.
        if method == .connect {
            guard case .valid(let hostEmpty) = validateAuthority(bytes, r, requirePort: true), !hostEmpty
            else { return .failure(.invalidTarget) }
            let target = string(bytes, r)
            return .success(TargetParts(target: target, path: target, query: nil, form: .authority))
        }

        // RFC 9112 §3.2.1: origin-form = absolute-path [ "?" query ]
        if first == HTTPGrammar.slash {
            let target = string(bytes, r)
            guard let q = question else {
                return .success(TargetParts(target: target, path: target, query: nil, form: .origin))
            }
            return .success(
                TargetParts(
                    target: target, path: string(bytes, r.lowerBound..<q),
                    query: string(bytes, (q + 1)..<r.upperBound), form: .origin))
        }

        // RFC 9112 §3.2.4: asterisk-form = "*" — "only used for a server-wide OPTIONS request".
        if first == HTTPGrammar.star {
            guard r.count == 1, method == .options else { return .failure(.invalidTarget) }
            return .success(TargetParts(target: "*", path: "*", query: nil, form: .asterisk))
        }

        // RFC 9112 §3.2.2: absolute-form = absolute-URI. We take http and https only
        // (RFC 9110 §4.2): scheme "://" authority path-abempty [ "?" query ].
        return parseAbsoluteForm(bytes, r, question: question)
    }

    /// Parses `http://authority/path?query` or `https://…` (scheme case-insensitive).
    private static func parseAbsoluteForm(
        _ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, question: Int?
    ) -> Result<TargetParts, HTTPParseError> {
        var p = r.lowerBound
        if HTTPGrammar.equalsLowercase(bytes, p..<min(p + 4, r.upperBound), "http") {
            p += 4
        } else {
            return .failure(.invalidTarget)
        }
        if p < r.upperBound && bytes[p] | 0x20 == 0x73 { p += 1 }  // "s"
        guard r.upperBound - p >= 3, bytes[p] == HTTPGrammar.colon, bytes[p + 1] == HTTPGrammar.slash,
            bytes[p + 2] == HTTPGrammar.slash
        else { return .failure(.invalidTarget) }
        let authorityStart = p + 3
        var authorityEnd = authorityStart
        while authorityEnd < r.upperBound && bytes[authorityEnd] != HTTPGrammar.slash
            && bytes[authorityEnd] != HTTPGrammar.question
        {
            authorityEnd += 1
        }
        // RFC 9110 §4.2.1: "A sender MUST NOT generate an "http" URI with an empty host
        // identifier. A recipient that processes such a URI reference MUST reject it as invalid."
        // RFC 9110 §4.2.4: userinfo ("@") is deprecated; we treat it as an error.
        guard case .valid(let hostEmpty) = validateAuthority(bytes, authorityStart..<authorityEnd, requirePort: false),
            !hostEmpty
        else { return .failure(.invalidTarget) }

        let target = string(bytes, r)
        let pathEnd = question ?? r.upperBound
        let path = authorityEnd < pathEnd ? string(bytes, authorityEnd..<pathEnd) : "/"
        let query = question.map { string(bytes, ($0 + 1)..<r.upperBound) }
        return .success(TargetParts(target: target, path: path, query: query, form: .absolute))
    }

    /// The result of checking an authority (`uri-host [ ":" port ]`).
    enum AuthorityCheck: Equatable {
        case invalid
        /// Well-formed; `hostEmpty` when the uri-host is the empty reg-name.
        case valid(hostEmpty: Bool)
    }

    /// Checks `bytes[r]` against RFC 3986 §3.2.2–3.2.3 (userinfo not allowed):
    ///   authority   = uri-host [ ":" port ]     (RFC 9110 §7.2 Host = uri-host [ ":" port ])
    ///   uri-host    = IP-literal / IPv4address / reg-name
    ///   IP-literal  = "[" ( IPv6address / IPvFuture ) "]"
    ///   reg-name    = *( unreserved / pct-encoded / sub-delims )
    ///   port        = *DIGIT
    /// An IP-literal is checked for its alphabet (HEXDIG, ":", "." and IPvFuture's unreserved /
    /// sub-delims), not for the full IPv6 grammar. IPv4address is a subset of reg-name.
    static func validateAuthority(
        _ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, requirePort: Bool
    ) -> AuthorityCheck {
        var p = r.lowerBound
        let e = r.upperBound
        var hostEmpty = false
        if p < e && bytes[p] == 0x5B {  // "["
            p += 1
            let literalStart = p
            while p < e && bytes[p] != 0x5D {  // "]"
                let b = bytes[p]
                guard HTTPGrammar.isRegNameChar(b) || b == HTTPGrammar.colon else { return .invalid }
                p += 1
            }
            guard p < e, p > literalStart else { return .invalid }
            p += 1
        } else {
            let hostStart = p
            while p < e && bytes[p] != HTTPGrammar.colon {
                let b = bytes[p]
                if b == HTTPGrammar.percent {
                    // RFC 3986 §2.1: pct-encoded = "%" HEXDIG HEXDIG
                    guard p + 2 < e, HTTPGrammar.isHexDigit(bytes[p + 1]), HTTPGrammar.isHexDigit(bytes[p + 2])
                    else { return .invalid }
                    p += 3
                    continue
                }
                guard HTTPGrammar.isRegNameChar(b) else { return .invalid }
                p += 1
            }
            hostEmpty = p == hostStart
        }
        if p == e { return requirePort ? .invalid : .valid(hostEmpty: hostEmpty) }
        guard bytes[p] == HTTPGrammar.colon else { return .invalid }
        p += 1
        if requirePort && p == e { return .invalid }
        while p < e {
            guard HTTPGrammar.isDigit(bytes[p]) else { return .invalid }
            p += 1
        }
        return .valid(hostEmpty: hostEmpty)
    }

    /// ASCII or UTF-8 bytes as a String.
    @inline(__always)
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }
}
