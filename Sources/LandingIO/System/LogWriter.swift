import Foundation
import Glibc
import Synchronization

/// Writes log lines to a descriptor (stdout or stderr) from a thread of its own, so a slow log
/// reader (a full pipe, a stalled journal) never stalls an event loop. Bounded: at most
/// `capacity` bytes wait; lines beyond are dropped and counted (`droppedLines`), never blocking the
/// caller. `flush()` waits until everything queued so far is written (shutdown, tests).
///
/// Cheap per line: a submitter wakes the thread only when the queue was empty (a queue with lines
/// already has a wake-up on its way), and the thread writes all it took in one `write(2)`.
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
        let wakeWriter = state.withLock { s -> Bool in
            guard s.queuedBytes + bytes.count <= capacity else {
                s.dropped += bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                return false
            }
            s.queue.append(bytes)
            s.queuedBytes += bytes.count
            s.submitted &+= 1
            // why: the writer takes the whole queue per wake-up, so only the line that makes it
            // non-empty needs to signal; later ones ride on that wake-up.
            return s.queue.count == 1
        }
        if wakeWriter { wake.signal() }
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
        var batch: [[UInt8]] = []
        var joined: [UInt8] = []
        while true {
            wake.wait()
            // why: the queue and the writer's batch trade places, so both keep their capacity and
            // a turn allocates nothing.
            state.withLock { s in
                swap(&batch, &s.queue)
                s.queuedBytes = 0
            }
            if batch.count == 1 {
                writeAll(batch[0])
            } else if !batch.isEmpty {
                for chunk in batch { joined.append(contentsOf: chunk) }
                writeAll(joined)
                joined.removeAll(keepingCapacity: joined.capacity <= 256 * 1024)
            }
            let count = batch.count
            batch.removeAll(keepingCapacity: batch.capacity <= 4096)
            state.withLock { $0.written &+= UInt64(count) }
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
