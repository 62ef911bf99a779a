/// When to try reconnecting to the database after failures: exponential backoff with FULL JITTER.
/// After the n-th failure in a row the next attempt waits a uniformly random time in
/// `0 ... min(maximumDelay, initialDelay × multiplier^(n-1))` — about 100 ms at first, doubling, up
/// to a cap of 30 s by default. Full jitter (rather than "equal" or "decorrelated") spreads the
/// instances that lost the same database most evenly, so they do not reconnect in waves.
///
/// A pure value: the clock (`now`, monotonic seconds) and the random source are passed in, so it
/// is tested without sleeping. A success (`connected()`) resets it; `stop()` (shutdown) ends it:
/// no attempt is allowed after that.
public struct ReconnectBackoff: Sendable, Equatable {
    /// The shape of the backoff, with documented defaults.
    public struct Policy: Sendable, Equatable {
        /// The ceiling of the first delay, in seconds. Default 0.1.
        public var initialDelay: Double
        /// How much the ceiling grows after each further failure. Default 2.
        public var multiplier: Double
        /// The largest ceiling, in seconds. Default 30.
        public var maximumDelay: Double

        public init(initialDelay: Double = 0.1, multiplier: Double = 2, maximumDelay: Double = 30) {
            precondition(initialDelay > 0 && multiplier >= 1 && maximumDelay >= initialDelay, "bad backoff policy")
            self.initialDelay = initialDelay
            self.multiplier = multiplier
            self.maximumDelay = maximumDelay
        }
    }

    /// What to do after a failure.
    public enum Decision: Sendable, Equatable {
        /// Try again at `at` (monotonic seconds), which is `delay` seconds after the failure.
        case retry(at: Double, delay: Double)
        /// Shutting down: do not try again.
        case stop
    }

    public let policy: Policy
    /// Failed attempts since the last success.
    public private(set) var consecutiveFailures = 0
    /// When the next attempt may start (monotonic seconds); nil when no failure is pending.
    public private(set) var nextAttemptAt: Double?
    /// Set by `stop()`; final.
    public private(set) var isStopped = false

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// The upper bound of the random delay after `failures` failures in a row (0 for none).
    public func ceiling(afterFailures failures: Int) -> Double {
        guard failures > 0 else { return 0 }
        var ceiling = policy.initialDelay
        // why: grow step by step and clamp each time, so a long outage cannot overflow to infinity.
        for _ in 1..<min(failures, 64) {
            ceiling = min(policy.maximumDelay, ceiling * policy.multiplier)
            if ceiling == policy.maximumDelay { break }
        }
        return min(ceiling, policy.maximumDelay)
    }

    /// Records a failed attempt (or a lost connection) at `now` and says when to try again.
    public mutating func failed<R: RandomNumberGenerator>(now: Double, random: inout R) -> Decision {
        guard !isStopped else { return .stop }
        consecutiveFailures += 1
        let delay = Self.unitInterval(random.next()) * ceiling(afterFailures: consecutiveFailures)
        nextAttemptAt = now + delay
        return .retry(at: now + delay, delay: delay)
    }

    /// A 64-bit random value as a fraction in 0 ..< 1 (its top 53 bits, a Double's precision).
    // why: one draw per delay, no rejection loop (`Double.random(in:using:)` may draw again), so
    // an injected source's values map to delays exactly and predictably.
    static func unitInterval(_ bits: UInt64) -> Double {
        Double(bits >> 11) / Double(UInt64(1) << 53)
    }

    /// Whether an attempt may start at `now`: not stopped, and the pending delay (if any) is over.
    public func mayAttempt(now: Double) -> Bool {
        guard !isStopped else { return false }
        guard let nextAttemptAt else { return true }
        return now >= nextAttemptAt
    }

    /// Seconds to wait at `now` before the next attempt (0 when it may start now); nil once stopped.
    public func remainingDelay(now: Double) -> Double? {
        guard !isStopped else { return nil }
        guard let nextAttemptAt else { return 0 }
        return max(0, nextAttemptAt - now)
    }

    /// A connection succeeded: the next failure starts again from `initialDelay`.
    public mutating func connected() {
        consecutiveFailures = 0
        nextAttemptAt = nil
    }

    /// Shutdown: no more attempts, whatever happens next.
    public mutating func stop() {
        isStopped = true
        nextAttemptAt = nil
    }
}
