import LandingCore
import Testing

/// A random source that always returns the same 64 bits: `.max` draws the top of every range,
/// `0` the bottom. Deterministic, so delays are exact.
private struct FixedRandom: RandomNumberGenerator {
    var value: UInt64
    mutating func next() -> UInt64 { value }
}

/// A random source that replays a sequence of 64-bit values, cycling.
private struct SequenceRandom: RandomNumberGenerator {
    var values: [UInt64]
    var index = 0
    mutating func next() -> UInt64 {
        defer { index = (index + 1) % values.count }
        return values[index]
    }
}

/// The delay of a decision (nil for `.stop`).
private func delay(_ decision: ReconnectBackoff.Decision) -> Double? {
    if case .retry(_, let delay) = decision { return delay }
    return nil
}

@Suite struct ReconnectBackoffTests {
    /// The ceiling starts at 100 ms and doubles per failure up to the 30 s cap, and stays there.
    @Test func ceiling_GrowsTimesTwo_UpToCap() {
        let backoff = ReconnectBackoff()
        let ceilings = (0...12).map { backoff.ceiling(afterFailures: $0) }
        let expected = [0, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30, 30, 30]
        for (actual, wanted) in zip(ceilings, expected) {
            #expect(abs(actual - wanted) < 1e-9, "\(ceilings)")
        }
        #expect(backoff.ceiling(afterFailures: 10_000) == 30)
        #expect(backoff.ceiling(afterFailures: Int.max) == 30)
    }

    /// With the top of the random range each delay is the ceiling; the retry time is now + delay.
    @Test func failed_TopRandom_DelayIsCeiling() {
        var backoff = ReconnectBackoff()
        var random = FixedRandom(value: .max)
        var now = 1_000.0
        for failure in 1...12 {
            let decision = backoff.failed(now: now, random: &random)
            guard case .retry(let at, let delay) = decision else {
                Issue.record("expected a retry, got \(decision)")
                return
            }
            #expect(abs(delay - backoff.ceiling(afterFailures: failure)) < 1e-6)
            #expect(at == now + delay)
            #expect(backoff.consecutiveFailures == failure)
            now = at
        }
    }

    /// Full jitter: with the bottom of the random range the delay is 0, and every delay stays
    /// within 0 ... ceiling whatever the random source returns.
    @Test func failed_AnyRandom_DelayWithinFullJitterRange() {
        var bottom = ReconnectBackoff()
        var zero = FixedRandom(value: 0)
        #expect(delay(bottom.failed(now: 0, random: &zero)) == 0)
        #expect(delay(bottom.failed(now: 0, random: &zero)) == 0)

        var backoff = ReconnectBackoff()
        var random = SequenceRandom(values: [0x1234_5678_9ABC_DEF0, .max / 3, 42, .max, .max / 2, 7 << 60])
        for failure in 1...40 {
            let delay = delay(backoff.failed(now: 0, random: &random)) ?? -1
            #expect(delay >= 0 && delay <= backoff.ceiling(afterFailures: failure), "failure \(failure): \(delay)")
        }
    }

    /// The delays are spread out (jitter), not all equal, for a mid-range random sequence.
    @Test func failed_VaryingRandom_DelaysDiffer() {
        var delays: [Double] = []
        for value: UInt64 in [.max / 4, .max / 2, .max / 8 * 7] {
            var backoff = ReconnectBackoff()
            var random = FixedRandom(value: value)
            for _ in 0..<5 { _ = backoff.failed(now: 0, random: &random) }
            delays.append(delay(backoff.failed(now: 0, random: &random)) ?? -1)
        }
        #expect(Set(delays).count == 3, "\(delays)")
        #expect(delays == delays.sorted())
    }

    /// An attempt is allowed before any failure, refused until the retry time, allowed from it on.
    @Test func mayAttempt_BeforeAndAfterRetryTime() {
        var backoff = ReconnectBackoff()
        var random = FixedRandom(value: .max)
        #expect(backoff.mayAttempt(now: 0))
        #expect(backoff.remainingDelay(now: 0) == 0)
        _ = backoff.failed(now: 10, random: &random)
        _ = backoff.failed(now: 10, random: &random)
        let at = backoff.nextAttemptAt!
        #expect(!backoff.mayAttempt(now: 10))
        #expect(!backoff.mayAttempt(now: at - 0.001))
        #expect(backoff.mayAttempt(now: at))
        #expect(abs(backoff.remainingDelay(now: 10)! - (at - 10)) < 1e-9)
        #expect(backoff.remainingDelay(now: at + 5) == 0)
    }

    /// A success resets the backoff: the next failure starts again from the first ceiling.
    @Test func connected_AfterFailures_ResetsToInitialDelay() {
        var backoff = ReconnectBackoff()
        var random = FixedRandom(value: .max)
        for _ in 0..<8 { _ = backoff.failed(now: 0, random: &random) }
        backoff.connected()
        #expect(backoff.consecutiveFailures == 0)
        #expect(backoff.nextAttemptAt == nil)
        #expect(backoff.mayAttempt(now: 0))
        let first = delay(backoff.failed(now: 0, random: &random)) ?? -1
        #expect(abs(first - 0.1) < 1e-6)
    }

    /// After `stop()` no attempt is allowed, and a failure answers `.stop`, even after `connected()`.
    @Test func stop_EndsAttemptsForGood() {
        var backoff = ReconnectBackoff()
        var random = FixedRandom(value: .max)
        _ = backoff.failed(now: 0, random: &random)
        backoff.stop()
        #expect(backoff.isStopped)
        #expect(!backoff.mayAttempt(now: 1_000_000))
        #expect(backoff.remainingDelay(now: 0) == nil)
        #expect(backoff.failed(now: 5, random: &random) == .stop)
        backoff.connected()
        #expect(!backoff.mayAttempt(now: 1_000_000))
        #expect(backoff.failed(now: 6, random: &random) == .stop)
    }

    /// A custom policy (250 ms, ×3, cap 5 s) shapes the ceilings the same way.
    @Test func policy_Custom_ShapesCeilings() {
        let backoff = ReconnectBackoff(policy: .init(initialDelay: 0.25, multiplier: 3, maximumDelay: 5))
        let ceilings = (1...5).map { backoff.ceiling(afterFailures: $0) }
        let expected = [0.25, 0.75, 2.25, 5, 5]
        for (actual, wanted) in zip(ceilings, expected) {
            #expect(abs(actual - wanted) < 1e-9, "\(ceilings)")
        }
    }
}
