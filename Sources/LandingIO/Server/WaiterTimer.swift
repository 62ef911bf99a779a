import Foundation
import Glibc
import LandingCore
import Synchronization

/// Answers long-polls whose deadline passed: one thread that checks `RecordWaiters` every
/// `interval` seconds (the check is O(1) until the earliest deadline). Waiters hold no thread; this
/// is the only one.
public final class WaiterTimer: Sendable {
    /// A reference the thread can hold (an `Atomic` itself cannot be captured).
    private final class Flag: Sendable {
        let running = Atomic<Bool>(true)
    }
    private let flag = Flag()

    public init(waiters: RecordWaiters, interval: Double = 0.02, now: @escaping @Sendable () -> Int64) {
        let flag = self.flag
        let thread = Thread {
            while flag.running.load(ordering: .relaxed) {
                waiters.expire(now: now())
                usleep(useconds_t(interval * 1_000_000))
            }
        }
        thread.start()
    }

    public func stop() { flag.running.store(false, ordering: .relaxed) }
}
