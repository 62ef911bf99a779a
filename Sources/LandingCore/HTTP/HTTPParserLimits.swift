/// Limits the request parser enforces. They are configuration (see `ServerConfig`), not literals
/// inside the parser; the defaults are the documented ones.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Longest request line, CRLF excluded. Exceeding it → 414 URI Too Long.
    public var maxRequestLineBytes: Int
    /// Largest header section (every field line and its CRLF, the final CRLF excluded). → 431.
    public var maxHeaderBytes: Int
    /// Most header fields. → 431.
    public var maxHeaderCount: Int
    /// Largest body announced by Content-Length. → 413 Content Too Large.
    public var maxBodyBytes: Int

    public init(
        maxRequestLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 16 * 1024,
        maxHeaderCount: Int = 100, maxBodyBytes: Int = 64 * 1024
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }

    public static let `default` = HTTPParserLimits()
}
