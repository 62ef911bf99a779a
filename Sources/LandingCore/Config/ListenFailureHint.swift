import Glibc

/// The one-line explanation for a listener that cannot be bound, with what to do about it, for
/// the errors operators meet: the port is taken, the port needs privilege, the address is not on
/// this host.
public enum ListenFailureHint {
    /// - Parameters:
    ///   - option: the flag whose address failed (`--listen`, `--http-listen`, `--metrics-listen`).
    ///   - address: as configured (`HOST:PORT`).
    ///   - port: the port number.
    ///   - errno: from `bind`/`listen`.
    public static func message(option: String, address: String, port: Int, errno code: Int32) -> String {
        let base = "cannot listen on \(address) (\(option))"
        switch code {
        case EADDRINUSE:
            return "\(base): the address is already in use; another process holds it (see: ss -ltnp 'sport = :\(port)')"
                + " — stop it or choose another port"
        case EACCES where port < 1024:
            return "\(base): ports below 1024 need privilege; grant CAP_NET_BIND_SERVICE (systemd:"
                + " AmbientCapabilities=CAP_NET_BIND_SERVICE), use socket activation (oauth-landing.socket),"
                + " or listen on a port above 1023 behind the load balancer"
        case EACCES:
            return "\(base): permission denied (a security policy forbids binding it)"
        case EADDRNOTAVAIL:
            return "\(base): no network interface of this host has that address; use 0.0.0.0, [::] or one of its addresses"
        default:
            return "\(base): \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}
