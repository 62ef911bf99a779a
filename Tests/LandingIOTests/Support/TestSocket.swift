import CLinux
import Foundation
import Glibc

/// A failed socket call, with its errno (e.g. ECONNREFUSED from `connect`).
struct TestSocketError: Error, CustomStringConvertible {
    var call: String
    var errno: Int32
    var description: String { "\(call): \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// A blocking TCP client socket to 127.0.0.1 for byte-level tests; reads wait with `poll` and a
/// timeout, so a test never hangs on a server that stays silent. Owns its descriptor.
final class TestSocket {
    private(set) var fd: Int32

    /// What one `receive` saw.
    enum Received: Equatable {
        case data([UInt8])
        /// The peer closed its side (FIN), or reset the connection.
        case closed
        /// Nothing arrived within the timeout.
        case timeout
    }

    /// Connects to 127.0.0.1:`port`.
    init(port: UInt16) throws(TestSocketError) {
        E2EProcessSetup.once
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSocketError(call: "socket", errno: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 {
            let err = errno
            Glibc.close(fd)
            throw TestSocketError(call: "connect(127.0.0.1:\(port))", errno: err)
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
    }

    deinit { close() }

    /// Writes all of `bytes` (MSG_NOSIGNAL: a reset peer is an error, not a signal).
    func send(_ bytes: [UInt8]) throws(TestSocketError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n >= 0 {
                offset += n
            } else if errno != EINTR {
                throw TestSocketError(call: "send", errno: errno)
            }
        }
    }

    func send(_ text: String) throws(TestSocketError) { try send(Array(text.utf8)) }

    /// Waits up to `timeout` seconds for bytes, then reads what is there (up to 64 KiB).
    func receive(timeout: Double) -> Received {
        guard fd >= 0 else { return .closed }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = max(0, Int32(deadline.timeIntervalSinceNow * 1000))
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { return .timeout }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { return .data(Array(chunk[0..<n])) }
            if n == 0 { return .closed }
            if errno == EINTR || errno == EAGAIN { continue }
            return .closed  // ECONNRESET and friends: the server is gone.
        }
    }

    /// Reads until the peer closes; returns the bytes received and whether it closed within `timeout`.
    func readUntilClosed(timeout: Double) -> (bytes: [UInt8], closed: Bool) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        var bytes: [UInt8] = []
        while true {
            switch receive(timeout: max(0, deadline.timeIntervalSinceNow)) {
            case .data(let more): bytes += more
            case .closed: return (bytes, true)
            case .timeout: return (bytes, false)
            }
        }
    }

    /// Closes the descriptor (idempotent). With `reset`, SO_LINGER 0 makes it an RST, leaving no TIME_WAIT.
    func close(reset: Bool = false) {
        guard fd >= 0 else { return }
        if reset {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        Glibc.close(fd)
        fd = -1
    }
}
