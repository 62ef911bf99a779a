import CLinux
import Glibc
import LandingCore

/// An IPv4 or IPv6 socket address, resolved from a `HOST:PORT` listen setting.
public struct SocketAddress: Sendable, CustomStringConvertible {
    enum Storage: Sendable {
        case v4(sockaddr_in)
        case v6(sockaddr_in6)
    }
    let storage: Storage

    public var family: Int32 {
        switch storage {
        case .v4: AF_INET
        case .v6: AF_INET6
        }
    }

    public var port: Int {
        switch storage {
        case .v4(let a): Int(UInt16(bigEndian: a.sin_port))
        case .v6(let a): Int(UInt16(bigEndian: a.sin6_port))
        }
    }

    public var description: String {
        switch storage {
        case .v4(var a):
            var buf = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            inet_ntop(AF_INET, &a.sin_addr, &buf, socklen_t(buf.count))
            return "\(String(cString: buf)):\(port)"
        case .v6(var a):
            var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &a.sin6_addr, &buf, socklen_t(buf.count))
            return "[\(String(cString: buf))]:\(port)"
        }
    }

    /// Just the host part, for the access log's remote address.
    // why: `IPAddress` prints exactly as inet_ntop does (IPAddressTests compare them), without
    // formatting the port and cutting it off again: this runs once per accepted connection.
    public var host: String { ipAddress.description }

    /// The address without the port.
    public var ipAddress: IPAddress {
        switch storage {
        case .v4(let a):
            return .v4(UInt32(bigEndian: a.sin_addr.s_addr))
        case .v6(let a):
            return withUnsafeBytes(of: a.sin6_addr) { IPAddress(networkBytes: $0) } ?? .v6(0)
        }
    }

    /// Resolves a numeric address or a name (getaddrinfo, once at start).
    public static func resolve(host: String, port: Int) throws(SystemError) -> SocketAddress {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            // why: getaddrinfo reports through its own codes (EAI_*), not errno; only EAI_SYSTEM
            // means "look at errno".
            if rc == EAI_SYSTEM { throw SystemError(call: "getaddrinfo(\(host))", errno: Glibc.errno) }
            throw SystemError(
                call: "getaddrinfo(\(host))", errno: EINVAL,
                reason: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(result) }
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node {
            if n.pointee.ai_family == AF_INET {
                return SocketAddress(storage: .v4(n.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }))
            }
            if n.pointee.ai_family == AF_INET6 {
                return SocketAddress(storage: .v6(n.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }))
            }
            node = n.pointee.ai_next
        }
        throw SystemError(call: "getaddrinfo(\(host))", errno: EAFNOSUPPORT)
    }

    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch storage {
        case .v4(var a):
            return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        case .v6(var a):
            return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
    }

    /// Reads a `sockaddr_storage` filled by accept/getsockname.
    init?(storage raw: sockaddr_storage) {
        var raw = raw
        switch Int32(raw.ss_family) {
        case AF_INET:
            self.storage = .v4(withUnsafePointer(to: &raw) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee } })
        case AF_INET6:
            self.storage = .v6(withUnsafePointer(to: &raw) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee } })
        default:
            return nil
        }
    }

    init(storage: Storage) { self.storage = storage }
}
