/// Where `$NOTIFY_SOCKET` says the service manager listens: an `AF_UNIX` datagram socket named by a
/// file system path (`/run/systemd/notify`) or, with a leading `@`, by a name in the abstract
/// namespace (`sd_notify(3)`).
public enum NotifySocketAddress: Sendable, Equatable {
    /// A socket file.
    case path(String)
    /// An abstract socket: the name without the `@` (the kernel sees a leading NUL byte instead).
    case abstract(String)

    /// `sockaddr_un.sun_path` holds 108 bytes: a path needs one for its NUL terminator, an abstract
    /// name one for its leading NUL.
    static let maxBytes = 107

    /// Parses the variable's value. Other forms systemd knows (`vsock:`) are refused.
    public init(parsing value: String) throws(SystemdEnvironmentError) {
        if value.hasPrefix("/") {
            guard value.utf8.count <= Self.maxBytes, !value.utf8.contains(0) else {
                throw SystemdEnvironmentError("NOTIFY_SOCKET is longer than an AF_UNIX socket path can be (\(Self.maxBytes) bytes)")
            }
            self = .path(value)
        } else if value.hasPrefix("@"), value.utf8.count > 1 {
            let name = String(value.dropFirst())
            guard name.utf8.count <= Self.maxBytes else {
                throw SystemdEnvironmentError("NOTIFY_SOCKET is longer than an abstract AF_UNIX socket name can be (\(Self.maxBytes) bytes)")
            }
            self = .abstract(name)
        } else {
            throw SystemdEnvironmentError(
                "NOTIFY_SOCKET=\(value.prefix(120)) is neither a socket path (/...) nor an abstract socket name (@...)")
        }
    }

    /// The bytes of `sun_path`, without the terminating NUL of a path (the caller's zeroed
    /// `sockaddr_un` supplies it); an abstract name starts with its NUL byte.
    public var sunPathBytes: [UInt8] {
        switch self {
        case .path(let path): Array(path.utf8)
        case .abstract(let name): [0] + Array(name.utf8)
        }
    }

    /// The `@name` or path form, for logs.
    public var display: String {
        switch self {
        case .path(let path): path
        case .abstract(let name): "@" + name
        }
    }
}
