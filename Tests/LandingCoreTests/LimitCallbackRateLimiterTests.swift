import Testing

@testable import LandingCore

@Suite struct LimitCallbackRateLimiterTests {
    /// Up to the limit pass in a window; the next is refused with the seconds left in the window.
    @Test func check_RefusesWithRetryAfter_WhenLimitReached() {
        let limiter = CallbackRateLimiter(limit: 3)
        #expect(limiter.check("192.0.2.1", now: 1000) == .allowed)
        #expect(limiter.check("192.0.2.1", now: 1010) == .allowed)
        #expect(limiter.check("192.0.2.1", now: 1020) == .allowed)
        #expect(limiter.check("192.0.2.1", now: 1030) == .limited(retryAfterSeconds: 30))
        #expect(limiter.check("192.0.2.1", now: 1059.2) == .limited(retryAfterSeconds: 1))
    }

    /// Retry-After is rounded up and never 0.
    @Test func check_RoundsRetryAfterUp() {
        let limiter = CallbackRateLimiter(limit: 1)
        #expect(limiter.check("a", now: 0) == .allowed)
        #expect(limiter.check("a", now: 0.5) == .limited(retryAfterSeconds: 60))
        #expect(limiter.check("a", now: 59.999) == .limited(retryAfterSeconds: 1))
    }

    /// When the window ends a new one opens with a fresh budget.
    @Test func check_AllowsAgain_WhenWindowRollsOver() {
        let limiter = CallbackRateLimiter(limit: 2)
        #expect(limiter.check("a", now: 0) == .allowed)
        #expect(limiter.check("a", now: 1) == .allowed)
        #expect(limiter.check("a", now: 2) != .allowed)
        #expect(limiter.check("a", now: 60) == .allowed)
        #expect(limiter.check("a", now: 61) == .allowed)
        #expect(limiter.check("a", now: 62) == .limited(retryAfterSeconds: 58))
    }

    /// Refused callbacks do not extend the window or use up the next one.
    @Test func check_DoesNotCountRefusals() {
        let limiter = CallbackRateLimiter(limit: 1)
        #expect(limiter.check("a", now: 0) == .allowed)
        for second in 1..<60 { #expect(limiter.check("a", now: Double(second)) != .allowed) }
        #expect(limiter.check("a", now: 60) == .allowed)
    }

    /// A clock stepped back opens a new window instead of blocking the address for the step.
    @Test func check_OpensNewWindow_WhenClockStepsBack() {
        let limiter = CallbackRateLimiter(limit: 1)
        #expect(limiter.check("a", now: 10_000) == .allowed)
        #expect(limiter.check("a", now: 10_001) == .limited(retryAfterSeconds: 59))
        #expect(limiter.check("a", now: 5_000) == .allowed)
        #expect(limiter.check("a", now: 5_001) == .limited(retryAfterSeconds: 59))
        #expect(limiter.trackedAddressCount == 1)
    }

    /// Addresses have separate budgets.
    @Test func check_KeepsSeparateBudgets_PerAddress() {
        let limiter = CallbackRateLimiter(limit: 1)
        #expect(limiter.check("192.0.2.1", now: 0) == .allowed)
        #expect(limiter.check("192.0.2.2", now: 0) == .allowed)
        #expect(limiter.check("192.0.2.1", now: 0) != .allowed)
    }

    /// IPv6 addresses of one /64 share a budget.
    @Test func check_SharesBudget_WithinIPv6Slash64() {
        let limiter = CallbackRateLimiter(limit: 1)
        #expect(limiter.check("2001:db8::1", now: 0) == .allowed)
        #expect(limiter.check("2001:db8::2", now: 0) != .allowed)
        #expect(limiter.check("2001:db8:0:1::1", now: 0) == .allowed)
    }

    /// A limit of 0 means no limit, and nothing is tracked.
    @Test func check_AllowsEverything_WhenLimitIsZero() {
        let limiter = CallbackRateLimiter(limit: 0)
        for _ in 0..<1000 { #expect(limiter.check("a", now: 0) == .allowed) }
        #expect(limiter.trackedAddressCount == 0)
    }

    /// Ended windows are dropped as time passes, so the table holds only live windows.
    @Test func check_DropsEndedWindows_AsClockAdvances() {
        let limiter = CallbackRateLimiter(limit: 5)
        for i in 0..<100 { _ = limiter.check("10.0.0.\(i)", now: Double(i) * 0.1) }
        #expect(limiter.trackedAddressCount == 100)
        _ = limiter.check("10.1.0.1", now: 65)
        #expect(limiter.trackedAddressCount == 50)  // windows opened at 0…5 s have ended
        _ = limiter.check("10.1.0.2", now: 70)
        #expect(limiter.trackedAddressCount == 2)
    }

    /// A flood of distinct addresses never grows the table beyond its bound; the oldest windows go.
    @Test func check_BoundsTable_UnderAddressFlood() {
        let limiter = CallbackRateLimiter(limit: 1, maxAddresses: 100)
        #expect(limiter.check("victim", now: 0) == .allowed)
        #expect(limiter.check("victim", now: 0) != .allowed)
        for i in 0..<10_000 {
            #expect(limiter.check("flood-\(i)", now: 1) == .allowed)
            #expect(limiter.trackedAddressCount <= 100)
        }
        #expect(limiter.trackedAddressCount == 100)
        // The newest addresses are still limited; the oldest (victim) was evicted and starts afresh.
        #expect(limiter.check("flood-9999", now: 1) != .allowed)
        #expect(limiter.check("victim", now: 1) == .allowed)
    }

    /// Eviction skips windows that were reopened (stale order entries) and takes the oldest live one.
    @Test func check_EvictsOldestLiveWindow_AfterRollOvers() {
        let limiter = CallbackRateLimiter(limit: 1, maxAddresses: 2)
        #expect(limiter.check("a", now: 0) == .allowed)
        #expect(limiter.check("b", now: 30) == .allowed)
        #expect(limiter.check("a", now: 61) == .allowed)  // a's window reopens; b's is now the oldest
        #expect(limiter.check("c", now: 62) == .allowed)  // evicts b
        #expect(limiter.check("a", now: 62) != .allowed)
        #expect(limiter.check("b", now: 62) == .allowed)  // b starts afresh, evicting a
        #expect(limiter.trackedAddressCount == 2)
    }

    /// Concurrent callbacks from one address: exactly `limit` of them pass.
    @Test func check_PassesExactlyLimit_UnderConcurrency() async {
        let limiter = CallbackRateLimiter(limit: 300)
        let passed = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<100).reduce(0) { n, _ in n + (limiter.check("a", now: 5) == .allowed ? 1 : 0) } }
            }
            return await group.reduce(0, +)
        }
        #expect(passed == 300)
    }
}
