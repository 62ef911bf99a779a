/// Limits the response parser (`HTTPResponseParser`) enforces. Configuration with documented
/// defaults, sized for a JSON API client: a few KiB of headers and a body of at most 256 KiB.
public struct HTTPResponseParserLimits: Sendable, Equatable {
    /// Longest status line, CRLF excluded. Default 1 KiB.
    public var maxStatusLineBytes: Int
    /// Largest header section (every field line and its CRLF, the final CRLF excluded). Default 16 KiB.
    public var maxHeaderBytes: Int
    /// Most header fields, and most trailer fields of a chunked body. Default 100.
    public var maxHeaderCount: Int
    /// Largest body: announced by Content-Length, decoded from chunks (checked as each chunk size
    /// is read), or read until the connection closes. Default 256 KiB.
    public var maxBodyBytes: Int
    /// Most bytes of chunk extensions in one chunked body, summed over its chunks. Default 1 KiB.
    public var maxChunkExtensionBytes: Int
    /// Largest trailer section of a chunked body. Default 4 KiB.
    public var maxTrailerBytes: Int
    /// Most interim (1xx) responses accepted before the final one. Default 8.
    public var maxInterimResponses: Int

    public init(
        maxStatusLineBytes: Int = 1024, maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 256 * 1024, maxChunkExtensionBytes: Int = 1024, maxTrailerBytes: Int = 4 * 1024,
        maxInterimResponses: Int = 8
    ) {
        self.maxStatusLineBytes = maxStatusLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkExtensionBytes = maxChunkExtensionBytes
        self.maxTrailerBytes = maxTrailerBytes
        self.maxInterimResponses = maxInterimResponses
    }

    public static let `default` = HTTPResponseParserLimits()
}
