/// A complete HTTP/1.1 response as `HTTPResponseParser` delivers it: the final (non-1xx) status,
/// the header fields in order, and the body with any chunked framing removed.
public struct HTTPClientResponse: Sendable, Equatable {
    public var version: HTTPVersion
    /// The three-digit status code, 200...599 (1xx responses are skipped by the parser).
    public var statusCode: Int
    /// The reason phrase as sent (possibly empty). RFC 9112 §4: "A client SHOULD ignore the
    /// reason-phrase content": it is kept for logs only.
    public var reasonPhrase: String
    /// The header fields. After a chunked body, `Transfer-Encoding` and `Trailer` are replaced by a
    /// `Content-Length` (RFC 9112 §7.1.3), as the request parser does.
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Whether the server will close the connection after this response (framed by the close,
    /// `Connection: close`, or HTTP/1.0 without keep-alive): it must not be reused.
    public var closesConnection: Bool

    public init(
        version: HTTPVersion = .http1_1, statusCode: Int, reasonPhrase: String = "", headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [], closesConnection: Bool = false
    ) {
        self.version = version
        self.statusCode = statusCode
        self.reasonPhrase = reasonPhrase
        self.headers = headers
        self.body = body
        self.closesConnection = closesConnection
    }
}
