import CLinux
import Glibc
import LandingCore

/// A non-blocking listening TCP socket. Owns its descriptor and closes it in `deinit` (or `close()`).
public final class ListeningSocket: @unchecked Sendable {
    public let fd: Int32
    public let address: SocketAddress
    private var closed = false

    /// Binds and listens on `address` (SO_REUSEADDR; IPv6 sockets are IPv6-only so `[::]` and
    /// `0.0.0.0` can both be bound).
    public init(address: SocketAddress, backlog: Int32 = 4096) throws(SystemError) {
        let fd = try syscallBlocking("socket") { socket(address.family, Int32(SOCK_STREAM.rawValue) | landing_SOCK_NONBLOCK() | landing_SOCK_CLOEXEC(), 0) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if address.family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = address.withSockAddr { (ptr, len) in bind(fd, ptr, len) }
        if bound != 0 {
            let err = Glibc.errno
            Glibc.close(fd)
            throw SystemError(call: "bind(\(address))", errno: err)
        }
        if Glibc.listen(fd, backlog) != 0 {
            let err = Glibc.errno
            Glibc.close(fd)
            throw SystemError(call: "listen(\(address))", errno: err)
        }
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        self.address = SocketAddress(storage: storage) ?? address
    }

    /// Takes ownership of `fd`, a socket already listening on `address` (`adopting(_:)`).
    init(takingOwnershipOf fd: Int32, address: SocketAddress) {
        self.fd = fd
        self.address = address
    }

    /// Resolves and binds the address of option `--option`; a failure's `reason` says which
    /// listener failed and what to do (`ListenFailureHint`), so callers print it as it is.
    public static func bound(option: String, _ address: ServerConfig.ListenAddress) throws(SystemError) -> ListeningSocket {
        do {
            return try ListeningSocket(address: SocketAddress.resolve(host: address.host, port: address.port))
        } catch {
            var failure = error
            if let reason = error.reason {
                failure.reason = "--\(option) \(address): \(reason)"
            } else {
                failure.reason = ListenFailureHint.message(
                    option: "--" + option, address: address.description, port: address.port, errno: error.errno)
            }
            throw failure
        }
    }

    /// Accepts one pending connection as a non-blocking socket, or `.wouldBlock`.
    func accept() throws(SystemError) -> IOResult<(fd: Int32, peer: SocketAddress?)> {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try syscall("accept4") {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    landing_accept4(fd, $0, &len, landing_SOCK_NONBLOCK() | landing_SOCK_CLOEXEC())
                }
            }
        }
        switch result {
        case .wouldBlock: return .wouldBlock
        case .done(let client): return .done((client, SocketAddress(storage: storage)))
        }
    }

    public func close() {
        if !closed {
            closed = true
            Glibc.close(fd)
        }
    }

    deinit { close() }
}
