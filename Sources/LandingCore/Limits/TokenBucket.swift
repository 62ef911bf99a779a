/// A token bucket: holds at most `burst` tokens, gains `ratePerSecond` tokens per second, and
/// each `take` spends one. A pure value; the clock is passed in (seconds, any monotonic origin),
/// so tests never sleep.
///
/// A `ratePerSecond` of 0 (or less) means no limit: `take` always succeeds. A `burst` below 1 is
/// raised to 1, so a limited bucket can still pass one event at a time.
public struct TokenBucket: Sendable, Equatable {
    /// Tokens gained per second; 0: no limit.
    public let ratePerSecond: Double
    /// Most tokens held (and so the most events at once after a quiet spell).
    public let burst: Double
    /// Tokens available as of `updatedAt`.
    public private(set) var tokens: Double
    /// The clock reading `tokens` was computed at.
    public private(set) var updatedAt: Double

    /// A full bucket at `now`.
    public init(ratePerSecond: Double, burst: Double, now: Double) {
        self.ratePerSecond = ratePerSecond.isFinite ? max(0, ratePerSecond) : 0
        self.burst = burst.isFinite ? max(1, burst) : 1
        self.tokens = self.burst
        self.updatedAt = now
    }

    /// Whether there is no limit.
    public var isUnlimited: Bool { ratePerSecond == 0 }

    /// Spends a token when one is available at `now`; false (and nothing spent) otherwise.
    public mutating func take(now: Double) -> Bool {
        guard !isUnlimited else { return true }
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Seconds from `now` until `take` would succeed (0 when it would now).
    public func secondsUntilAvailable(now: Double) -> Double {
        guard !isUnlimited else { return 0 }
        var copy = self
        copy.refill(now: now)
        return copy.tokens >= 1 ? 0 : (1 - copy.tokens) / ratePerSecond
    }

    /// Adds the tokens earned since `updatedAt`, up to `burst`.
    // why: a clock reading earlier than `updatedAt` (a test clock, or a wall clock stepped back)
    // earns nothing and keeps `updatedAt`, so going back and forth cannot mint tokens.
    private mutating func refill(now: Double) {
        guard now > updatedAt else { return }
        tokens = min(burst, tokens + (now - updatedAt) * ratePerSecond)
        updatedAt = now
    }
}
