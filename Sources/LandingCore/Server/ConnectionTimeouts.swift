/// The timeouts a connection is subject to, in seconds.
public struct ConnectionTimeouts: Sendable, Equatable {
    /// From the TLS handshake's start or a request's first byte to its complete header section.
    public var header: Double
    /// From a complete header section to the complete body.
    public var body: Double
    /// How long a keep-alive connection may sit with no request, and how long a stalled write may last.
    public var idle: Double
    /// How long a handler may owe a response (defence in depth: long-polls end sooner by themselves).
    public var handler: Double
    /// How long input is drained and discarded after a response that ends the connection.
    public var linger: Double

    public init(header: Double, body: Double, idle: Double, handler: Double = 90, linger: Double = 5) {
        self.header = header
        self.body = body
        self.idle = idle
        self.handler = handler
        self.linger = linger
    }
}
