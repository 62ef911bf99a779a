import CLinux
import Glibc

/// A failed system call: its name and errno, captured at the failure site.
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    public var call: String
    public var errno: Int32
    /// A better explanation than `strerror` when there is one (the resolver's `gai_strerror`, a
    /// hint for a port that needs privilege); replaces it in `description`.
    public var reason: String?

    public init(call: String, errno: Int32, reason: String? = nil) {
        self.call = call
        self.errno = errno
        self.reason = reason
    }

    public var description: String {
        if let reason { return "\(call) failed: \(reason)" }
        return "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The result of a non-blocking call: a value, or "try again when ready" (EAGAIN/EWOULDBLOCK).
public enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}

/// Every system call goes through here: retries EINTR, returns EAGAIN as a value, and captures errno
/// with the call's name (habit 1 of docs/style).
@inline(__always)
func syscall<T: FixedWidthInteger>(_ name: StaticString, _ body: () -> T) throws(SystemError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .done(result) }
        let err = Glibc.errno
        switch err {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        default: throw SystemError(call: "\(name)", errno: err)
        }
    }
}

/// Like `syscall` for calls that never legitimately return EAGAIN (setup calls).
@inline(__always)
@discardableResult
func syscallBlocking<T: FixedWidthInteger>(_ name: StaticString, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let err = Glibc.errno
        if err == EINTR { continue }
        throw SystemError(call: "\(name)", errno: err)
    }
}

/// The monotonic clock in seconds, for deadlines.
@inline(__always)
func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Wall-clock time as (seconds, nanoseconds) since the Unix epoch, for logs and `Date`.
@inline(__always)
func wallClockNow() -> (seconds: Int, nanoseconds: Int) {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return (Int(ts.tv_sec), Int(ts.tv_nsec))
}
