import Testing
@testable import LandingCore

/// A random source that always returns the same value.
private struct ConstantRandom: RandomNumberGenerator {
    var value: UInt64
    mutating func next() -> UInt64 { value }
}

/// The random value that makes the jitter factor exactly 1 (unit interval 0.5).
private let middle: UInt64 = 1 << 63

@Suite struct PluggyRecheckScheduleTests {
    /// Without jitter the delays are 2, 4, 8, 16, then 30 s forever.
    @Test func schedule_GrowsFromTwoToThirtySeconds() {
        var schedule = PluggyRecheckSchedule(deadline: 10_000)
        var random = ConstantRandom(value: middle)
        var delays: [Double] = []
        var now = 0.0
        for _ in 0..<7 {
            guard case .recheck(let at, let delay) = schedule.next(after: .pending, now: now, random: &random) else {
                Issue.record("stopped early")
                return
            }
            delays.append(delay)
            now = at
        }
        #expect(delays == [2, 4, 8, 16, 30, 30, 30])
    }

    /// The jitter keeps each delay within ±20 % of its base, and never above the 30 s ceiling.
    @Test func schedule_JittersWithinTwentyPercent() {
        var low = PluggyRecheckSchedule(deadline: 10_000)
        var high = PluggyRecheckSchedule(deadline: 10_000)
        var zero = ConstantRandom(value: 0)
        var top = ConstantRandom(value: UInt64.max)
        #expect(low.next(after: .pending, now: 0, random: &zero) == .recheck(at: 1.6, delay: 1.6))
        guard case .recheck(_, let delay) = high.next(after: .pending, now: 0, random: &top) else {
            Issue.record("stopped")
            return
        }
        #expect(delay > 2.39 && delay <= 2.4)
        for _ in 0..<6 { _ = high.next(after: .pending, now: 0, random: &top) }
        #expect(high.next(after: .pending, now: 0, random: &top) == .recheck(at: 30, delay: 30))
    }

    /// A terminal observation stops the schedule for good.
    @Test func schedule_Stops_AtATerminalState() {
        var schedule = PluggyRecheckSchedule(deadline: 100)
        var random = ConstantRandom(value: middle)
        #expect(schedule.next(after: .terminal, now: 1, random: &random) == .stop(.terminal))
        #expect(schedule.next(after: .pending, now: 2, random: &random) == .stop(.terminal))
    }

    /// A check that would fall after the deadline (the session's expiry) is not scheduled.
    @Test func schedule_Stops_AtTheDeadline() {
        var schedule = PluggyRecheckSchedule(deadline: 5)
        var random = ConstantRandom(value: middle)
        #expect(schedule.next(after: .pending, now: 0, random: &random) == .recheck(at: 2, delay: 2))
        #expect(schedule.next(after: .pending, now: 2, random: &random) == .stop(.deadline))
        #expect(schedule.stopReason == .deadline)
    }

    /// A 429's Retry-After is a floor for the next delay, even above 30 s, and backoff applies when it is absent.
    @Test func schedule_HonoursRetryAfter() {
        var schedule = PluggyRecheckSchedule(deadline: 1_000)
        var random = ConstantRandom(value: middle)
        #expect(schedule.next(after: .rateLimited(retryAfter: 45), now: 10, random: &random) == .recheck(at: 55, delay: 45))
        #expect(schedule.next(after: .rateLimited(retryAfter: 1), now: 55, random: &random) == .recheck(at: 59, delay: 4))
        #expect(schedule.next(after: .rateLimited(retryAfter: nil), now: 59, random: &random) == .recheck(at: 67, delay: 8))
    }

    /// A Retry-After that reaches past the deadline stops the schedule instead of waiting.
    @Test func schedule_Stops_WhenRetryAfterPassesTheDeadline() {
        var schedule = PluggyRecheckSchedule(deadline: 100)
        var random = ConstantRandom(value: middle)
        #expect(schedule.next(after: .rateLimited(retryAfter: 3600), now: 10, random: &random) == .stop(.deadline))
    }

    /// An outage backs off like a pending answer.
    @Test func schedule_BacksOff_WhenUnavailable() {
        var schedule = PluggyRecheckSchedule(deadline: 1_000)
        var random = ConstantRandom(value: middle)
        #expect(schedule.next(after: .unavailable, now: 0, random: &random) == .recheck(at: 2, delay: 2))
        #expect(schedule.next(after: .unavailable, now: 2, random: &random) == .recheck(at: 6, delay: 4))
    }
}
