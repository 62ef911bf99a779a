/// What `HTTPRequestParser.next()` found.
public enum HTTPParseResult: Sendable, Equatable {
    /// The buffered bytes do not hold a complete request yet.
    case needMore
    /// One complete request; call `next()` again for a pipelined one.
    case request(HTTPRequest)
    /// The input is not acceptable HTTP/1.1; the connection must answer and close.
    case error(HTTPParseError)
}

/// Incremental, strict HTTP/1.1 request parser (RFC 9112): bytes in → need more / request / error.
/// Knows nothing of sockets. PLACEHOLDER: being implemented.
public struct HTTPRequestParser: Sendable {
    /// Where the parser is, which decides the timeout that applies.
    public enum Phase: Sendable, Equatable {
        /// No byte of the next request has arrived.
        case idle
        /// Some bytes of the request line or header section have arrived.
        case head
        /// The header section is complete; the body is being read.
        case body
    }

    public let limits: HTTPParserLimits

    public init(limits: HTTPParserLimits = .default) {
        self.limits = limits
    }

    public var phase: Phase { .idle }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {}

    public mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    public mutating func next() -> HTTPParseResult { .needMore }
}
