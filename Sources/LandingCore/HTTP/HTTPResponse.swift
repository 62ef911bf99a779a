/// A response the core hands to the shell. The shell adds `Date`, `Content-Length` and
/// `Connection` when it serializes it (`HTTPResponseSerializer`).
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Close the connection after sending this response, whatever the client asked.
    public var closeConnection: Bool

    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], closeConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
    }

    /// A short `text/plain` response, used for protocol errors and simple endpoints.
    public static func text(_ status: HTTPStatus, _ message: String, closeConnection: Bool = false) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        return HTTPResponse(status: status, headers: headers, body: Array((message + "\n").utf8), closeConnection: closeConnection)
    }

    /// The answer to a request the parser rejected: its status, a one-line reason, and `Connection: close`.
    public static func protocolError(_ error: HTTPParseError) -> HTTPResponse {
        .text(error.status, "\(error.status.code) \(error.status.reasonPhrase): \(error.explanation)", closeConnection: true)
    }
}
