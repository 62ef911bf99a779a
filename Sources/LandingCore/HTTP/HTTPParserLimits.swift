/// Limits the request parser enforces. They are configuration (see `ServerConfig`), not literals
/// inside the parser; the defaults are the documented ones.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Longest request line, CRLF excluded. Exceeding it → 414 URI Too Long.
    public var maxRequestLineBytes: Int
    /// Largest header section (every field line and its CRLF, the final CRLF excluded). → 431.
    public var maxHeaderBytes: Int
    /// Most header fields, and most trailer fields of a chunked body. → 431.
    public var maxHeaderCount: Int
    /// Largest body: announced by Content-Length, or decoded from chunks (checked as each chunk
    /// size is read, before its data arrives). → 413 Content Too Large.
    public var maxBodyBytes: Int
    /// Most bytes of chunk extensions in one chunked message: every byte between a chunk size and
    /// its CRLF, summed over all the message's chunks. Default 1 KiB (extensions are read and
    /// discarded; this bounds the wire bytes a client can spend per body). → 400.
    public var maxChunkExtensionBytes: Int
    /// Largest trailer section of a chunked message (every trailer field line and its CRLF, the
    /// final CRLF excluded). Default 4 KiB. Trailer fields are validated and discarded; their count
    /// is bounded by `maxHeaderCount`. → 431.
    public var maxTrailerBytes: Int

    public init(
        maxRequestLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 16 * 1024,
        maxHeaderCount: Int = 100, maxBodyBytes: Int = 64 * 1024,
        maxChunkExtensionBytes: Int = 1024, maxTrailerBytes: Int = 4 * 1024
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkExtensionBytes = maxChunkExtensionBytes
        self.maxTrailerBytes = maxTrailerBytes
    }

    public static let `default` = HTTPParserLimits()
}
