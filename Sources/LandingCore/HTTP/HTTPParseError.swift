/// Why a request could not be parsed. Every case ends the connection: after a framing error the
/// server cannot know where the next request starts (RFC 9112 §11.2, request smuggling).
public enum HTTPParseError: Error, Sendable, Equatable {
    /// Request line longer than `maxRequestLineBytes` (414).
    case requestLineTooLong
    /// Header section larger than `maxHeaderBytes` or with more than `maxHeaderCount` fields (431).
    case headerSectionTooLarge
    /// Content-Length larger than `maxBodyBytes`, or a chunked body whose decoded size would pass it
    /// (413).
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
    /// Transfer-Encoding with `chunked` present but not the final coding (400, RFC 9112 §6.3 rule 4).
    case chunkedNotFinal
    /// Transfer-Encoding with `chunked` applied more than once (400, RFC 9112 §7).
    case chunkedAppliedTwice
    /// Any Transfer-Encoding other than `chunked` alone (501).
    case unsupportedTransferEncoding
    /// A chunk-size that is not 1*HEXDIG, or longer than 16 hex digits (400).
    case invalidChunkSize
    /// A chunk extension that does not follow RFC 9112 §7.1.1 (400).
    case invalidChunkExtension
    /// Chunk extensions past `maxChunkExtensionBytes` in one message (400).
    case chunkExtensionsTooLong
    /// Chunk data not followed by CRLF (400).
    case missingCRLFAfterChunkData
    /// A trailer field line that is not a valid field line (400).
    case invalidTrailerField
    /// Trailer section larger than `maxTrailerBytes` or with more than `maxHeaderCount` fields (431).
    case trailerSectionTooLarge
    /// Transfer-Encoding in an HTTP/1.0 request: faulty framing (RFC 9112 §6.1) (400).
    case transferEncodingInHTTP10

    /// The status code the server answers with.
    public var status: HTTPStatus {
        switch self {
        case .requestLineTooLong: .uriTooLong
        case .headerSectionTooLarge: .requestHeaderFieldsTooLarge
        case .bodyTooLarge: .contentTooLarge
        case .unsupportedVersion: .httpVersionNotSupported
        case .unsupportedTransferEncoding: .notImplemented
        case .trailerSectionTooLarge: .requestHeaderFieldsTooLarge
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
        case .chunkedNotFinal: "The chunked transfer coding must be the final Transfer-Encoding."
        case .chunkedAppliedTwice: "The chunked transfer coding cannot be applied more than once."
        case .unsupportedTransferEncoding: "Only the chunked Transfer-Encoding is supported."
        case .invalidChunkSize: "A chunk size is not a valid hexadecimal number."
        case .invalidChunkExtension: "A chunk extension is malformed."
        case .chunkExtensionsTooLong: "The chunk extensions are too long."
        case .missingCRLFAfterChunkData: "Chunk data is not followed by CRLF."
        case .invalidTrailerField: "A trailer field is invalid."
        case .trailerSectionTooLarge: "The trailer section is too large or has too many fields."
        case .transferEncodingInHTTP10: "HTTP/1.0 requests cannot use Transfer-Encoding."
        }
    }
}
