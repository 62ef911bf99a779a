import Foundation
import Glibc
import Synchronization

/// Writes log lines to a descriptor (stdout or stderr) from a thread of its own, so a slow log
/// reader (a full pipe, a stalled journal) never stalls an event loop. Bounded: at most
/// `capacity` bytes wait; lines beyond are dropped and counted (`droppedLines`), never blocking the
/// caller. `flush()` waits until everything queued so far is written (shutdown, tests).
///
/// Cheap under load: the writer is woken only when it sleeps (one semaphore signal per sleep, not
/// per batch), then lets lines gather for `coalescing` seconds and writes them with one write(2).
/// A busy server thus pays a few wake-ups a second for its log instead of a futex wake, a context
/// switch and a write per event-loop turn; a line still reaches the descriptor within about
/// `coalescing` (2 ms by default).
public final class LogWriter: Sendable {
    private struct State {
        var queue: [[UInt8]] = []
        var queuedBytes = 0
        var dropped = 0
        var written: UInt64 = 0
        var submitted: UInt64 = 0
        /// The writer waits on `wake` (or is about to): the next submit signals it, once.
        var writerAsleep = false
    }

    private let fd: Int32
    private let capacity: Int
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let done = Condition()
    private let coalescingMicroseconds: UInt32

    /// A condition variable the flusher waits on (Foundation's, which is Sendable enough here).
    private final class Condition: @unchecked Sendable {  // why: NSCondition is thread-safe by design.
        let condition = NSCondition()
    }

    public init(fd: Int32, capacity: Int = 4 << 20, coalescing: Double = 0.002) {
        self.fd = fd
        self.capacity = capacity
        self.coalescingMicroseconds = UInt32(max(0, min(coalescing, 1)) * 1_000_000)
        let thread = Thread { [self] in self.run() }
        thread.name = "log-writer-\(fd)"
        thread.start()
    }

    /// Lines dropped because the queue was full.
    public var droppedLines: Int { state.withLock { $0.dropped } }

    /// Queues whole lines; drops them (and counts each line) when the queue is full.
    public func submit(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let signal = state.withLock { s -> Bool in
            guard s.queuedBytes + bytes.count <= capacity else {
                s.dropped += bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                return false
            }
            s.queue.append(bytes)
            s.queuedBytes += bytes.count
            s.submitted &+= 1
            guard s.writerAsleep else { return false }
            s.writerAsleep = false
            return true
        }
        if signal { wake.signal() }
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
            let sleep = state.withLock { s -> Bool in
                guard s.queue.isEmpty else { return false }
                s.writerAsleep = true
                return true
            }
            if sleep {
                wake.wait()
                // why: the first line of a busy moment wakes us; the lines right behind it ride
                // along in the same write instead of each paying a wake-up and a write.
                if coalescingMicroseconds > 0 { usleep(coalescingMicroseconds) }
            }
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
