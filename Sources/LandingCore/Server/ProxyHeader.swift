/// A PROXY protocol header (HAProxy's "The PROXY protocol, Versions 1 & 2"), as
/// `ProxyHeaderParser` read it from the start of a connection a trusted load balancer relayed.
public struct ProxyHeader: Sendable, Equatable {
    /// The header's format.
    public enum Version: Sendable, Equatable {
        /// §2.1: one line of text, `PROXY TCP4 …\r\n`.
        case v1
        /// §2.2: the binary format after the 12-byte signature.
        case v2
    }

    /// One end of the relayed TCP connection.
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        public var address: IPAddress
        public var port: UInt16

        public init(address: IPAddress, port: UInt16) {
            self.address = address
            self.port = port
        }

        public var description: String {
            address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
        }
    }

    public var version: Version
    /// The client's end (the source), when the header names one; nil for a v1 `UNKNOWN` line, a v2
    /// `LOCAL` command (the balancer's own health check) and a v2 family or transport this server
    /// does not take addresses from (`AF_UNSPEC`, `AF_UNIX`, `UNSPEC`): the connection's own peer
    /// (the balancer) then stays the client, as §2.1 and §2.2 ask.
    public var source: Endpoint?
    /// The address the client connected to (the balancer's front end), when `source` is set.
    public var destination: Endpoint?

    public init(version: Version, source: Endpoint?, destination: Endpoint?) {
        self.version = version
        self.source = source
        self.destination = destination
    }
}
