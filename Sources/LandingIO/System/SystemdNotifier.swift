import CLinux
import Glibc
import LandingCore

/// Tells the service manager about state changes (`sd_notify(3)`, written against the documented
/// protocol rather than libsystemd): each `SystemdNotification` is one datagram on an `AF_UNIX`
/// `SOCK_DGRAM` socket, sent to the address `$NOTIFY_SOCKET` named. Owns that socket. Safe from any
/// thread (each send is one system call on an unconnected socket).
public final class SystemdNotifier: Sendable {
    public let address: NotifySocketAddress
    private let fd: Int32

    /// Opens the sending socket (close-on-exec: no child inherits it).
    public init(address: NotifySocketAddress) throws(SystemError) {
        self.address = address
        fd = try syscallBlocking("socket(AF_UNIX, SOCK_DGRAM)") {
            socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | landing_SOCK_CLOEXEC(), 0)
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends one notification. Never blocks: a manager whose queue is full, or that is gone, is an
    /// error the caller may log, not a reason to stall (the watchdog's pinger calls this too).
    @discardableResult
    public func send(_ notification: SystemdNotification) -> Result<Void, SystemError> {
        var target = sockaddr_un()
        target.sun_family = sa_family_t(AF_UNIX)
        // At most 107 bytes for a path (the zeroed structure holds its NUL), 108 for an abstract
        // name with its leading NUL: `NotifySocketAddress` refuses longer ones.
        let path = address.sunPathBytes
        withUnsafeMutableBytes(of: &target.sun_path) { sunPath in
            sunPath.copyBytes(from: path.prefix(sunPath.count))
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        // why: a path's length counts its NUL terminator; an abstract name's length must not
        // (its bytes, leading NUL included, are the whole name: a trailing NUL would be part of it).
        let length: Int
        switch address {
        case .path: length = pathOffset + path.count + 1
        case .abstract: length = pathOffset + path.count
        }
        let message = Array(notification.message.utf8)
        do {
            let sent = try syscall("sendto(NOTIFY_SOCKET)") {
                message.withUnsafeBytes { bytes in
                    withUnsafePointer(to: &target) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            // why: MSG_DONTWAIT, so a manager that reads nothing can never block the
                            // signal thread or the watchdog; MSG_NOSIGNAL as for every other write.
                            sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), $0, socklen_t(length))
                        }
                    }
                }
            }
            if case .wouldBlock = sent { return .failure(SystemError(call: "sendto(NOTIFY_SOCKET)", errno: EAGAIN)) }
            return .success(())
        } catch {
            return .failure(error)
        }
    }
}
