/// The service watchdog systemd asks for (`WatchdogSec=` in the unit): `$WATCHDOG_USEC` is the time
/// after which a service that has not sent `WATCHDOG=1` is killed, and `$WATCHDOG_PID`, when set,
/// names the one process meant to send it (`sd_watchdog_enabled(3)`).
///
/// The server pings every half timeout, and only while every event loop has turned within
/// `stallLimit`: a stuck loop silences the pings, and systemd restarts the service.
public struct WatchdogSettings: Sendable, Equatable {
    /// `$WATCHDOG_USEC`.
    public var timeoutMicroseconds: UInt64

    public init(timeoutMicroseconds: UInt64) {
        self.timeoutMicroseconds = timeoutMicroseconds
    }

    /// Seconds between two `WATCHDOG=1`: half the timeout, as `sd_watchdog_enabled(3)` advises
    /// (no less than 10 ms, so an absurd setting cannot turn the pinger into a busy loop).
    public var pingInterval: Double { max(0.01, Double(timeoutMicroseconds) / 2_000_000) }

    /// How long a loop may go without starting a turn and still count as alive. An idle loop turns
    /// at least four times a second (`EventLoop.maxWait`), and a turn's work is bounded, so a second
    /// is already far beyond a healthy loop; with a long timeout the limit is the ping interval.
    public var stallLimit: Double { max(1, pingInterval) }

    /// Whether to send `WATCHDOG=1` now, given how long ago each event loop last started a turn.
    /// No loops (not started, or stopped) is no evidence of life either.
    public func shouldPing(loopIdleSeconds: [Double]) -> Bool {
        !loopIdleSeconds.isEmpty && loopIdleSeconds.allSatisfy { $0 <= stallLimit }
    }

    /// Reads `$WATCHDOG_USEC` and `$WATCHDOG_PID` as `sd_watchdog_enabled(3)` does: nil when no
    /// watchdog is asked for, or when `WATCHDOG_PID` names another process (a parent's watchdog is
    /// not ours); throws when a value is not a plain positive number.
    public static func parse(usec: String?, pid: String?, ownPID: Int32) throws(SystemdEnvironmentError) -> WatchdogSettings? {
        guard let usec else { return nil }
        guard let timeout = SystemdNumber.parse(usec), timeout > 0, timeout < UInt64.max else {
            throw SystemdEnvironmentError(
                "WATCHDOG_USEC=\(usec.prefix(40)) is not a positive number of microseconds; the watchdog stays off (systemd sets it from WatchdogSec=)")
        }
        if let pid {
            guard let watchdogPID = SystemdNumber.parsePID(pid) else {
                throw SystemdEnvironmentError("WATCHDOG_PID=\(pid.prefix(40)) is not a process id; the watchdog stays off")
            }
            guard watchdogPID == ownPID else { return nil }
        }
        return WatchdogSettings(timeoutMicroseconds: timeout)
    }
}
