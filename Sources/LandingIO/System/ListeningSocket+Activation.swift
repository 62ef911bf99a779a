import CLinux
import Glibc
import LandingCore

extension ListeningSocket {
    /// Takes over a socket systemd passed (`SocketActivation`), after checking it is what a listener
    /// needs: an open TCP socket (IPv4 or IPv6), `SOCK_STREAM`, already listening. Sets
    /// `O_NONBLOCK` (systemd passes sockets blocking) and `FD_CLOEXEC` (no child inherits it).
    /// Throws a one-line error naming the descriptor and the `.socket` setting to fix.
    public static func adopting(_ descriptor: SocketActivation.Descriptor) throws(SystemdEnvironmentError) -> ListeningSocket {
        let fd = descriptor.fd
        let what = "socket \"\(descriptor.name.prefix(40))\" (fd \(fd)) passed by systemd"
        func option(_ name: Int32) throws(SystemdEnvironmentError) -> Int32 {
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, name, &value, &length) == 0 else {
                let err = Glibc.errno
                switch err {
                case EBADF: throw SystemdEnvironmentError("\(what) is not open; LISTEN_FDS counts more descriptors than the launcher passed")
                case ENOTSOCK: throw SystemdEnvironmentError("\(what) is not a socket; use ListenStream= in the .socket unit")
                default: throw SystemdEnvironmentError("\(what): getsockopt failed: \(String(cString: strerror(err))) (errno \(err))")
                }
            }
            return value
        }
        guard try option(SO_TYPE) == Int32(SOCK_STREAM.rawValue) else {
            throw SystemdEnvironmentError("\(what) is not a stream socket; use ListenStream= (not ListenDatagram=) in the .socket unit")
        }
        let domain = try option(SO_DOMAIN)
        guard domain == AF_INET || domain == AF_INET6 else {
            throw SystemdEnvironmentError("\(what) is not a TCP socket; give ListenStream= a port or an IP address and port, not a path")
        }
        guard try option(SO_ACCEPTCONN) != 0 else {
            throw SystemdEnvironmentError("\(what) is not listening; the .socket unit needs Accept=no (one server for every connection)")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0, let address = SocketAddress(storage: storage) else {
            throw SystemdEnvironmentError("\(what): cannot read its address (getsockname: errno \(Glibc.errno))")
        }
        // why: systemd hands sockets over blocking and inheritable; the acceptors need a
        // non-blocking one (accept4 must return EAGAIN), and no child process should hold it.
        let flags = fcntl(fd, F_GETFL)
        let fdFlags = fcntl(fd, F_GETFD)
        guard flags >= 0, fdFlags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0, fcntl(fd, F_SETFD, fdFlags | FD_CLOEXEC) == 0 else {
            throw SystemdEnvironmentError("\(what): cannot make it non-blocking and close-on-exec (fcntl: errno \(Glibc.errno))")
        }
        return ListeningSocket(takingOwnershipOf: fd, address: address)
    }
}
