import Foundation
import LandingCore
import Synchronization
import Testing

@testable import LandingIO

/// The watchdog's evidence of life: each event loop's heartbeat, and the pinger that stops when a
/// loop is stuck in a turn (in process, with a real loop on its own thread).
@Suite struct SystemdWatchdogTests {
    /// A loop's heartbeat is the start of its latest turn, on the loop's own clock.
    @Test func eventLoop_SecondsSinceLastTurn_FollowsTurns() throws {
        let now = Mutex<Double>(100)
        let loop = try EventLoop(index: 0, clock: { now.withLock { $0 } })
        #expect(loop.secondsSinceLastTurn == 0)
        now.withLock { $0 = 103 }
        #expect(loop.secondsSinceLastTurn == 3)
        loop.runOnce(maxWait: 0)
        #expect(loop.secondsSinceLastTurn == 0)
        now.withLock { $0 = 104.5 }
        #expect(loop.secondsSinceLastTurn == 1.5)
    }

    /// WATCHDOG=1 goes out while the loop turns, stops (with one warning) while a task holds the loop for longer than
    /// the stall limit, and resumes (with one notice) once the loop turns again.
    @Test func watchdog_StopsWhileLoopIsStuck_AndResumes() throws {
        let loop = try EventLoop(index: 0)
        let thread = Thread { loop.run() }
        thread.start()
        defer { loop.stop() }
        let pings = Atomic<Int>(0)
        let logged = Mutex<[String]>([])
        let watchdog = SystemdWatchdog(
            settings: WatchdogSettings(timeoutMicroseconds: 200_000), loopIdleSeconds: { [loop.secondsSinceLastTurn] },
            ping: { pings.add(1, ordering: .relaxed) }, log: { line in logged.withLock { $0.append(line) } })
        watchdog.start()
        defer { watchdog.stop() }

        Thread.sleep(forTimeInterval: 0.6)
        #expect(pings.load(ordering: .relaxed) >= 3, "pings while the loop turns")
        #expect(logged.withLock { $0 }.isEmpty)

        let release = DispatchSemaphore(value: 0)
        loop.execute { release.wait() }
        // The stall limit is 1 s: pings stop within about 1.1 s of the loop's last turn.
        Thread.sleep(forTimeInterval: 1.4)
        let whileStuck = pings.load(ordering: .relaxed)
        Thread.sleep(forTimeInterval: 0.6)
        #expect(pings.load(ordering: .relaxed) == whileStuck, "no ping while the loop is stuck")
        let warnings = logged.withLock { $0 }
        #expect(warnings.count == 1 && warnings[0].contains("an event loop has not turned for"), "\(warnings)")

        release.signal()
        Thread.sleep(forTimeInterval: 0.6)
        #expect(pings.load(ordering: .relaxed) > whileStuck, "pings resume")
        #expect(logged.withLock { $0 }.last?.contains("WATCHDOG=1 resumes") == true, "\(logged.withLock { $0 })")
    }

    /// No loop at all (a server not started, or stopped) is no evidence of life: no ping.
    @Test func watchdog_DoesNotPing_WithoutLoops() throws {
        let pings = Atomic<Int>(0)
        let watchdog = SystemdWatchdog(
            settings: WatchdogSettings(timeoutMicroseconds: 200_000), loopIdleSeconds: { [] },
            ping: { pings.add(1, ordering: .relaxed) }, log: { _ in })
        watchdog.start()
        Thread.sleep(forTimeInterval: 0.35)
        watchdog.stop()
        #expect(pings.load(ordering: .relaxed) == 0)
    }
}
