import LandingCore
import Testing

/// `$WATCHDOG_USEC` / `$WATCHDOG_PID` as `sd_watchdog_enabled(3)` reads them, and when to ping.
@Suite struct SystemdWatchdogSettingsTests {
    /// WATCHDOG_USEC alone turns the watchdog on; pings go every half timeout.
    @Test func parse_TurnsOn_WithTimeoutAlone() throws {
        let settings = try #require(try WatchdogSettings.parse(usec: "30000000", pid: nil, ownPID: 42))
        #expect(settings.timeoutMicroseconds == 30_000_000)
        #expect(settings.pingInterval == 15)
        #expect(settings.stallLimit == 15)
    }

    /// WATCHDOG_PID equal to our pid keeps it on; another process's pid turns it off (a parent's watchdog is not ours).
    @Test func parse_FollowsWatchdogPID() throws {
        #expect(try WatchdogSettings.parse(usec: "200000", pid: "42", ownPID: 42) == WatchdogSettings(timeoutMicroseconds: 200_000))
        #expect(try WatchdogSettings.parse(usec: "200000", pid: "43", ownPID: 42) == nil)
    }

    /// No WATCHDOG_USEC: no watchdog, whatever WATCHDOG_PID says.
    @Test func parse_IsOff_WithoutTimeout() throws {
        #expect(try WatchdogSettings.parse(usec: nil, pid: nil, ownPID: 42) == nil)
        #expect(try WatchdogSettings.parse(usec: nil, pid: "42", ownPID: 42) == nil)
    }

    /// Anything but plain digits (sign, blank, hex, zero, overflow) is refused, naming the variable.
    @Test func parse_RefusesMalformedNumbers() {
        for usec in ["", "0", "-5", "+5", " 5", "5 ", "0x10", "1e6", "18446744073709551615", "99999999999999999999", "5s"] {
            #expect(throws: SystemdEnvironmentError.self, "WATCHDOG_USEC=\(usec)") { try WatchdogSettings.parse(usec: usec, pid: nil, ownPID: 42) }
        }
        for pid in ["", "0", "-1", "abc", "2147483648", " 42"] {
            #expect(throws: SystemdEnvironmentError.self, "WATCHDOG_PID=\(pid)") { try WatchdogSettings.parse(usec: "1000000", pid: pid, ownPID: 42) }
        }
        do {
            _ = try WatchdogSettings.parse(usec: "soon", pid: nil, ownPID: 42)
        } catch {
            #expect(error.message.hasPrefix("WATCHDOG_USEC=soon "))
        }
    }

    /// A short timeout still gives a loop a whole second; an absurd one cannot make the pinger spin.
    @Test func limits_StayReasonable_ForShortTimeouts() {
        let short = WatchdogSettings(timeoutMicroseconds: 200_000)
        #expect(short.pingInterval == 0.1)
        #expect(short.stallLimit == 1)
        #expect(WatchdogSettings(timeoutMicroseconds: 1).pingInterval == 0.01)
    }

    /// Pings go only while every loop has turned within the limit, and never with no loop at all.
    @Test func shouldPing_OnlyWhileEveryLoopTurns() {
        let settings = WatchdogSettings(timeoutMicroseconds: 200_000)
        #expect(settings.shouldPing(loopIdleSeconds: [0, 0.25, 0.9]))
        #expect(settings.shouldPing(loopIdleSeconds: [1]))
        #expect(!settings.shouldPing(loopIdleSeconds: [0.1, 1.5]))
        #expect(!settings.shouldPing(loopIdleSeconds: []))
    }
}
