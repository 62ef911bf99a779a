import Foundation
import Glibc
import Synchronization

/// Writes log lines to a descriptor (stdout or stderr) from a thread of its own, so a slow log
/// reader (a full pipe, a stalled journal) never stalls an event loop. Bounded: at most
/// `capacity` bytes wait; lines beyond are dropped and counted (`droppedLines`), never blocking the
/// caller. `flush()` waits until everything queued so far is written (shutdown, tests).
public final class LogWriter: Sendable {
    private struct State {
        var queue: [[UInt8]] = []
        var queuedBytes = 0
        var dropped = 0
        var written: UInt64 = 0
        var submitted: UInt64 = 0
    }

    private let fd: Int32
    private let capacity: Int
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let done = Condition()

    /// A condition variable the flusher waits on (Foundation's, which is Sendable enough here).
    private final class Condition: @unchecked Sendable {  // why: NSCondition is thread-safe by design.
        let condition = NSCondition()
    }

    public init(fd: Int32, capacity: Int = 4 << 20) {
        self.fd = fd
        self.capacity = capacity
        let thread = Thread { [self] in self.run() }
        thread.name = "log-writer-\(fd)"
        thread.start()
    }

    /// Lines dropped because the queue was full.
    public var droppedLines: Int { state.withLock { $0.dropped } }

    /// Queues whole lines; drops them (and counts each line) when the queue is full.
    public func submit(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let accepted = state.withLock { s -> Bool in
            guard s.queuedBytes + bytes.count <= capacity else {
                s.dropped += bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                return false
            }
            s.queue.append(bytes)
            s.queuedBytes += bytes.count
            s.submitted &+= 1
            return true
        }
        if accepted { wake.signal() }
    }

    /// Waits until every line submitted before the call is written (or `timeout` passes).
    public func flush(timeout: Double = 2) {
        let target = state.withLock { $0.submitted }
        let limit = Date(timeIntervalSinceNow: timeout)
        done.condition.lock()
        defer { done.condition.unlock() }
        while state.withLock({ $0.written }) < target {
            if !done.condition.wait(until: limit) { return }
        }
    }

    private func run() {
        while true {
            wake.wait()
            let batch = state.withLock { s -> [[UInt8]] in
                let b = s.queue
                s.queue = []
                s.queuedBytes = 0
                return b
            }
            for chunk in batch { writeAll(chunk) }
            state.withLock { $0.written &+= UInt64(batch.count) }
            done.condition.lock()
            done.condition.broadcast()
            done.condition.unlock()
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        // why: a log line that cannot be written (stdout closed, disk full) is dropped; the
        // server must not stop or block for its log.
        try? FileIO.writeAll(fd, bytes)
    }

    /// The process's stdout writer (access log).
    public static let standardOutput = LogWriter(fd: 1)
    /// The process's stderr writer (application log).
    public static let standardError = LogWriter(fd: 2)
}
