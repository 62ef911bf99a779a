import Foundation
import LandingCore

/// Sends `WATCHDOG=1` every `WatchdogSettings.pingInterval` from a thread of its own, but only while
/// `loopIdleSeconds` says every event loop has started a turn recently (`WatchdogSettings.shouldPing`):
/// a loop stuck in one turn stops the pings, and systemd kills and restarts the service after
/// `WatchdogSec=`. A stall and the recovery from it are reported once each through `log`.
public final class SystemdWatchdog: @unchecked Sendable {  // why: mutable state behind `condition`; closures are Sendable.
    public let settings: WatchdogSettings
    private let loopIdleSeconds: @Sendable () -> [Double]
    private let ping: @Sendable () -> Void
    private let log: @Sendable (String) -> Void
    private let condition = NSCondition()
    private var stopped = false
    private var started = false
    private var _pings = 0

    /// - Parameters:
    ///   - loopIdleSeconds: seconds since each event loop last started a turn (`Server.loopIdleSeconds`).
    ///   - ping: sends `WATCHDOG=1`.
    ///   - log: told when the pings stop because a loop stalled, and when they resume.
    public init(
        settings: WatchdogSettings, loopIdleSeconds: @escaping @Sendable () -> [Double], ping: @escaping @Sendable () -> Void,
        log: @escaping @Sendable (String) -> Void
    ) {
        self.settings = settings
        self.loopIdleSeconds = loopIdleSeconds
        self.ping = ping
        self.log = log
    }

    /// Pings sent so far.
    public var pings: Int { condition.withLock { _pings } }

    /// Starts the pinging thread; the first check is immediate.
    public func start() {
        let shouldStart = condition.withLock {
            defer { started = true }
            return !started
        }
        guard shouldStart else { return }
        let thread = Thread { [self] in run() }
        thread.name = "watchdog"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// Stops the pings (the thread ends at its next wake-up, which `stop` brings forward).
    public func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }

    private func run() {
        var stalled = false
        while true {
            let ages = loopIdleSeconds()
            if settings.shouldPing(loopIdleSeconds: ages) {
                ping()
                condition.withLock { _pings += 1 }
                if stalled {
                    stalled = false
                    log("every event loop is turning again; WATCHDOG=1 resumes")
                }
            } else if !stalled {
                stalled = true
                let oldest = ages.max().map { String(format: "%.1f", $0) } ?? "no loop"
                log("an event loop has not turned for \(oldest) s (limit \(settings.stallLimit) s); WATCHDOG=1 stops, so systemd restarts the service")
            }
            let deadline = Date(timeIntervalSinceNow: settings.pingInterval)
            let keepGoing = condition.withLock {
                while !stopped && condition.wait(until: deadline) {}
                return !stopped
            }
            if !keepGoing { return }
        }
    }
}
