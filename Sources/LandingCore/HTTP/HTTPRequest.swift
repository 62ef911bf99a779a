/// A complete, validated HTTP/1.x request as produced by `HTTPRequestParser`.
public struct HTTPRequest: Sendable, Equatable {
    public var method: HTTPMethod
    /// The request-target exactly as sent (RFC 9112 §3.2).
    public var target: String
    /// The path of an origin-form or absolute-form target, still percent-encoded ("/oauth/callback").
    /// `"*"` for asterisk-form, the authority for authority-form.
    public var path: String
    /// The query after `?`, without the `?`, still percent-encoded; nil when there was no `?`.
    public var query: String?
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(
        method: HTTPMethod, target: String, path: String, query: String?, version: HTTPVersion,
        headers: HTTPHeaders, body: [UInt8] = []
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// Whether the client asked to keep the connection open after this request (RFC 9112 §9.3):
    /// HTTP/1.1 persists unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    // why: read on every request: the options are matched in the field values' bytes (no
    // split, no lowercased copies), which cost ~6k instructions on a `Connection: close`.
    public var wantsKeepAlive: Bool {
        var close = false
        var keepAlive = false
        for field in headers.fields where HTTPHeaders.equalsIgnoringASCIICase(field.name, "Connection") {
            var value = field.value
            value.withUTF8 { bytes in
                HTTPGrammar.forEachListMember(bytes, 0..<bytes.count) { member in
                    if HTTPGrammar.equalsLowercase(bytes, member, "close") { close = true }
                    if HTTPGrammar.equalsLowercase(bytes, member, "keep-alive") { keepAlive = true }
                }
            }
        }
        if close { return false }
        if version == .http1_1 { return true }
        return keepAlive
    }
}

extension Substring {
    func trimmingASCIIWhitespace() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
