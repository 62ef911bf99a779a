/// Listening sockets handed over by systemd (`sd_listen_fds(3)`): `$LISTEN_FDS` descriptors from 3
/// on, meant for the process `$LISTEN_PID`, named in `$LISTEN_FDNAMES` (`FileDescriptorName=` in
/// the `.socket` unit; `unknown` when unnamed).
///
/// Each socket takes the place of one listener: `https` (`--listen`), `http` (`--http-listen`),
/// `metrics` (`--metrics-listen`). A lone socket named otherwise is the HTTPS listener.
public struct SocketActivation: Sendable, Equatable {
    /// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
    public static let firstDescriptor: Int32 = 3

    /// One inherited descriptor and its name.
    public struct Descriptor: Sendable, Equatable {
        public var fd: Int32
        public var name: String

        public init(fd: Int32, name: String) {
            self.fd = fd
            self.name = name
        }
    }

    /// Which listener a socket replaces, by its `FileDescriptorName=`.
    public enum Role: String, Sendable, CaseIterable {
        case https
        case http
        case metrics

        /// The option whose address the socket replaces.
        public var option: String {
            switch self {
            case .https: "--listen"
            case .http: "--http-listen"
            case .metrics: "--metrics-listen"
            }
        }
    }

    public var descriptors: [Descriptor]

    public init(descriptors: [Descriptor]) {
        self.descriptors = descriptors
    }

    /// Reads the variables as `sd_listen_fds_with_names(3)` does: nil when no socket is passed to
    /// this process (no `LISTEN_PID`, another process's, or `LISTEN_FDS` absent or 0); throws when
    /// a value is malformed, the names do not match the count, or there are more sockets than
    /// listeners.
    public static func parse(pid: String?, fds: String?, names: String?, ownPID: Int32) throws(SystemdEnvironmentError) -> SocketActivation? {
        guard let pid else { return nil }
        guard let listenPID = SystemdNumber.parsePID(pid) else {
            throw SystemdEnvironmentError("LISTEN_PID=\(pid.prefix(40)) is not a process id (socket activation sets it to the server's own)")
        }
        guard listenPID == ownPID, let fds else { return nil }
        guard let count = SystemdNumber.parse(fds), count <= UInt64(Int32.max - firstDescriptor) else {
            throw SystemdEnvironmentError("LISTEN_FDS=\(fds.prefix(40)) is not a number of sockets (socket activation sets it)")
        }
        guard count > 0 else { return nil }
        guard count <= UInt64(Role.allCases.count) else {
            throw SystemdEnvironmentError(
                "systemd passed \(count) sockets; oauth-landing takes at most \(Role.allCases.count), named https, http and metrics"
                    + " (FileDescriptorName= in the .socket unit)")
        }
        var labels = Array(repeating: "unknown", count: Int(count))
        if let names {
            let split = names.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard split.count == Int(count) else {
                throw SystemdEnvironmentError(
                    "LISTEN_FDNAMES names \(split.count) sockets but LISTEN_FDS says \(count); the launcher must name each socket it passes")
            }
            labels = split
        }
        return SocketActivation(
            descriptors: labels.enumerated().map { Descriptor(fd: firstDescriptor + Int32($0.offset), name: $0.element) })
    }

    /// Which socket replaces which listener. One socket: its name if that is a role, else `https`.
    /// Several: every one must be named after a different role.
    public func roles() throws(SystemdEnvironmentError) -> [Role: Descriptor] {
        let known = Role.allCases.map(\.rawValue).joined(separator: ", ")
        if descriptors.count == 1 {
            let only = descriptors[0]
            return [Role(rawValue: only.name) ?? .https: only]
        }
        var roles: [Role: Descriptor] = [:]
        for descriptor in descriptors {
            guard let role = Role(rawValue: descriptor.name) else {
                throw SystemdEnvironmentError(
                    "systemd passed \(descriptors.count) sockets and the one on fd \(descriptor.fd) is named \"\(descriptor.name.prefix(40))\":"
                        + " with several sockets, give each FileDescriptorName= \(known) in the .socket unit")
            }
            if let earlier = roles[role] {
                throw SystemdEnvironmentError(
                    "systemd passed two sockets named \(role.rawValue) (fds \(earlier.fd) and \(descriptor.fd)): each of \(known) may be passed once")
            }
            roles[role] = descriptor
        }
        return roles
    }
}
