/// Why a request could not be parsed. Every case ends the connection: after a framing error the
/// server cannot know where the next request starts (RFC 9112 §11.2, request smuggling).
public enum HTTPParseError: Error, Sendable, Equatable {
    /// Request line longer than `maxRequestLineBytes` (414).
    case requestLineTooLong
    /// Header section larger than `maxHeaderBytes` or with more than `maxHeaderCount` fields (431).
    case headerSectionTooLarge
    /// Content-Length larger than `maxBodyBytes` (413).
    case bodyTooLarge
    /// The request line is not `method SP request-target SP HTTP-version` (400).
    case malformedRequestLine
    /// The method is not a `token` (400).
    case invalidMethod
    /// The request-target has characters outside RFC 3986 or does not fit the method's form (400).
    case invalidTarget
    /// Not HTTP/1.0 or HTTP/1.1 (505). Syntactically invalid versions are `malformedRequestLine`.
    case unsupportedVersion
    /// A field name that is not a `token` (400).
    case invalidHeaderName
    /// A field value with a control character (NUL, bare CR, LF, DEL...) (400).
    case invalidHeaderValue
    /// A field line starting with whitespace: obsolete line folding (400).
    case obsoleteLineFolding
    /// Whitespace between a field name and its colon (400).
    case whitespaceBeforeColon
    /// A CR not followed by LF, or a bare LF as a line terminator (400).
    case bareCarriageReturn
    /// HTTP/1.1 without exactly one Host field, or an invalid Host value (400).
    case invalidHost
    /// Content-Length that is not 1*DIGIT, or several different values (400).
    case invalidContentLength
    /// Both Transfer-Encoding and Content-Length (400).
    case contentLengthWithTransferEncoding
    /// Transfer-Encoding chunked: this server requires Content-Length (411).
    case chunkedNotSupported
    /// Any other Transfer-Encoding (501).
    case unsupportedTransferEncoding
    /// Transfer-Encoding in an HTTP/1.0 request: faulty framing (RFC 9112 §6.1) (400).
    case transferEncodingInHTTP10

    /// The status code the server answers with.
    public var status: HTTPStatus {
        switch self {
        case .requestLineTooLong: .uriTooLong
        case .headerSectionTooLarge: .requestHeaderFieldsTooLarge
        case .bodyTooLarge: .contentTooLarge
        case .unsupportedVersion: .httpVersionNotSupported
        case .chunkedNotSupported: .lengthRequired
        case .unsupportedTransferEncoding: .notImplemented
        default: .badRequest
        }
    }

    /// One sentence for the error body. Never echoes request bytes.
    public var explanation: String {
        switch self {
        case .requestLineTooLong: "The request line is too long."
        case .headerSectionTooLarge: "The request header section is too large or has too many fields."
        case .bodyTooLarge: "The request body is too large."
        case .malformedRequestLine: "The request line is malformed."
        case .invalidMethod: "The request method is not a valid token."
        case .invalidTarget: "The request target is invalid."
        case .unsupportedVersion: "Only HTTP/1.0 and HTTP/1.1 are supported."
        case .invalidHeaderName: "A header field name is invalid."
        case .invalidHeaderValue: "A header field value contains a forbidden character."
        case .obsoleteLineFolding: "Obsolete header line folding is not accepted."
        case .whitespaceBeforeColon: "Whitespace between a header field name and its colon is not allowed."
        case .bareCarriageReturn: "A line ends without CRLF."
        case .invalidHost: "HTTP/1.1 requests need exactly one valid Host header."
        case .invalidContentLength: "The Content-Length header is invalid."
        case .contentLengthWithTransferEncoding: "Content-Length and Transfer-Encoding cannot both be sent."
        case .chunkedNotSupported: "Chunked request bodies are not accepted; send Content-Length."
        case .unsupportedTransferEncoding: "This Transfer-Encoding is not supported."
        case .transferEncodingInHTTP10: "HTTP/1.0 requests cannot use Transfer-Encoding."
        }
    }
}
