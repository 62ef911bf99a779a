/// Why a response could not be parsed. Every case means the connection must be closed and the
/// response discarded (RFC 9112 §6.3: invalid framing "MUST" be treated as an unrecoverable error).
public enum HTTPResponseParseError: Error, Sendable, Equatable {
    /// The status line is longer than `maxStatusLineBytes`.
    case statusLineTooLong
    /// The status line is not `HTTP-version SP status-code [SP reason-phrase]`, or the code is not
    /// 100...599.
    case malformedStatusLine
    /// An HTTP version other than 1.x.
    case unsupportedVersion
    /// A 101 Switching Protocols, which this client never asks for.
    case unexpectedSwitchingProtocols
    /// More interim (1xx) responses than `maxInterimResponses`.
    case tooManyInterimResponses
    /// Header section larger than `maxHeaderBytes` or with more than `maxHeaderCount` fields.
    case headerSectionTooLarge
    /// A field name that is not a `token`.
    case invalidHeaderName
    /// A field value with a control character.
    case invalidHeaderValue
    /// A field line starting with whitespace (obs-fold).
    case obsoleteLineFolding
    /// Whitespace between a field name and its colon.
    case whitespaceBeforeColon
    /// A CR not followed by LF, or a bare LF as a line terminator.
    case bareLineBreak
    /// A Content-Length that is not 1*DIGIT, or several different values.
    case invalidContentLength
    /// Both Transfer-Encoding and Content-Length.
    case contentLengthWithTransferEncoding
    /// A Transfer-Encoding other than `chunked` alone, or Transfer-Encoding in an HTTP/1.0 response.
    case unsupportedTransferEncoding
    /// The body is (or would be) larger than `maxBodyBytes`.
    case bodyTooLarge
    /// A chunk-size that is not 1*HEXDIG or longer than 16 digits.
    case invalidChunkSize
    /// A malformed chunk extension.
    case invalidChunkExtension
    /// Chunk extensions past `maxChunkExtensionBytes`.
    case chunkExtensionsTooLong
    /// Chunk data not followed by CRLF.
    case missingCRLFAfterChunkData
    /// A trailer field line that is not a valid field line.
    case invalidTrailerField
    /// Trailer section larger than `maxTrailerBytes` or with more than `maxHeaderCount` fields.
    case trailerSectionTooLarge
    /// The connection closed before any byte of a response arrived.
    case closedBeforeResponse
    /// The connection closed in the middle of a response.
    case truncated

    /// Maps the shared field, Content-Length and chunk errors of `HTTPRequestParser`'s helpers.
    init(_ error: HTTPParseError) {
        switch error {
        case .headerSectionTooLarge: self = .headerSectionTooLarge
        case .bodyTooLarge: self = .bodyTooLarge
        case .invalidHeaderName: self = .invalidHeaderName
        case .invalidHeaderValue: self = .invalidHeaderValue
        case .obsoleteLineFolding: self = .obsoleteLineFolding
        case .whitespaceBeforeColon: self = .whitespaceBeforeColon
        case .bareCarriageReturn: self = .bareLineBreak
        case .invalidContentLength: self = .invalidContentLength
        case .contentLengthWithTransferEncoding: self = .contentLengthWithTransferEncoding
        case .invalidChunkSize: self = .invalidChunkSize
        case .invalidChunkExtension: self = .invalidChunkExtension
        case .chunkExtensionsTooLong: self = .chunkExtensionsTooLong
        case .missingCRLFAfterChunkData: self = .missingCRLFAfterChunkData
        case .invalidTrailerField: self = .invalidTrailerField
        case .trailerSectionTooLarge: self = .trailerSectionTooLarge
        case .chunkedNotFinal, .chunkedAppliedTwice, .unsupportedTransferEncoding, .transferEncodingInHTTP10:
            self = .unsupportedTransferEncoding
        case .requestLineTooLong: self = .statusLineTooLong
        case .malformedRequestLine, .invalidMethod, .invalidTarget, .invalidHost: self = .malformedStatusLine
        case .unsupportedVersion: self = .unsupportedVersion
        }
    }
}
