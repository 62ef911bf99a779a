import Foundation
import Glibc

/// Plays the service manager's end of `$NOTIFY_SOCKET`: an `AF_UNIX` datagram socket bound to a
/// file in a temporary directory or to an abstract name, collecting every datagram the server sends
/// on a thread of its own, so a test can wait for a message and count them over time. Call
/// `close()` when done: the reading thread holds the listener until then.
final class NotifySocketListener: @unchecked Sendable {  // why: `messages` behind `condition`; fd immutable.
    /// The value to give the server as `NOTIFY_SOCKET`.
    let address: String
    private let fd: Int32
    private let directory: TemporaryDirectory?
    private let condition = NSCondition()
    private var received: [(time: Double, text: String)] = []
    private var closed = false

    /// Binds a socket file (`abstract` false) or an abstract name (`@landing-notify-PID-N-xx…`, 107 bytes).
    init(abstract: Bool = false) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw E2EError("socket(AF_UNIX, SOCK_DGRAM): errno \(errno)") }
        var bytes: [UInt8]
        if abstract {
            directory = nil
            // The longest name sun_path holds (107 bytes after the leading NUL), to catch truncation.
            let name = "landing-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-"
            address = "@" + name + String(repeating: "x", count: 107 - name.utf8.count)
            bytes = [0] + Array(address.utf8.dropFirst())
        } else {
            let directory = try TemporaryDirectory("landing-notify")
            self.directory = directory
            address = directory.file("notify.sock")
            bytes = Array(address.utf8)
        }
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: bytes) }
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (abstract ? 0 : 1)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(length)) }
        }
        guard bound == 0 else {
            let err = errno
            Glibc.close(fd)
            throw E2EError("bind(\(address)): errno \(err)")
        }
        self.fd = fd
        let thread = Thread { [self] in readLoop() }
        thread.name = "e2e-notify"
        thread.start()
    }

    deinit { close() }

    /// Stops collecting (the reading thread ends within 50 ms) and closes the socket.
    func close() {
        let wasOpen = condition.withLock {
            defer { closed = true }
            return !closed
        }
        if wasOpen { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// Every datagram so far, in order.
    var messages: [String] { condition.withLock { received.map(\.text) } }

    /// The datagrams received at or after `since` (monotonic seconds, `NotifySocketListener.now`).
    func messages(since: Double) -> [String] {
        condition.withLock { received.filter { $0.time >= since }.map(\.text) }
    }

    /// Waits until a datagram satisfying `predicate` arrives after the first `skipping` ones;
    /// returns it, or nil after `timeout` seconds.
    func waitForMessage(after skipping: Int = 0, timeout: Double = 10, where predicate: (String) -> Bool) -> String? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let found = received.dropFirst(skipping).first(where: { predicate($0.text) }) { return found.text }
            if !condition.wait(until: deadline) {
                return received.dropFirst(skipping).first(where: { predicate($0.text) })?.text
            }
        }
    }

    /// The monotonic clock, in seconds (the one `messages(since:)` compares with).
    static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !condition.withLock({ closed }) {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            guard n > 0 else { continue }
            let text = String(decoding: buffer[0..<n], as: UTF8.self)
            condition.withLock {
                received.append((Self.now, text))
                condition.broadcast()
            }
        }
        Glibc.close(fd)
    }
}
