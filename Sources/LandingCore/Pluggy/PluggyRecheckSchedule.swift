/// When to ask Pluggy again about an item that is still pending: about 2 s at first, growing ×2 to
/// 30 s, each delay jittered by ±20 % (so items created together do not poll in step), until the
/// item reaches a terminal state or the deadline (the session's expiry) passes. A 429's
/// `Retry-After` is a floor for the next delay.
///
/// A pure value: the clock (`now`, monotonic seconds) and the random source are passed in, so it is
/// tested without sleeping. The shape follows `ReconnectBackoff` (same growth, same one-draw
/// jitter), but the jitter is "equal" rather than "full": a full-jitter delay may be ~0, and
/// Pluggy's own recipe polls every 2 s, not faster.
public struct PluggyRecheckSchedule: Sendable, Equatable {
    /// The shape of the schedule, with documented defaults.
    public struct Policy: Sendable, Equatable {
        /// The first delay, in seconds, before jitter. Default 2.
        public var initialDelay: Double
        /// How much the delay grows after each check. Default 2.
        public var multiplier: Double
        /// The largest delay, in seconds (jitter never goes above it). Default 30.
        public var maximumDelay: Double
        /// Each delay is multiplied by a uniform factor in `1 ± jitter`. Default 0.2.
        public var jitter: Double

        public init(initialDelay: Double = 2, multiplier: Double = 2, maximumDelay: Double = 30, jitter: Double = 0.2) {
            precondition(initialDelay > 0 && multiplier >= 1 && maximumDelay >= initialDelay && (0..<1).contains(jitter), "bad recheck policy")
            self.initialDelay = initialDelay
            self.multiplier = multiplier
            self.maximumDelay = maximumDelay
            self.jitter = jitter
        }
    }

    /// What the last check found.
    public enum Observation: Sendable, Equatable {
        /// The item is still pending.
        case pending
        /// The item is completed or failed.
        case terminal
        /// Pluggy answered 429; `retryAfter` seconds from now if it said so.
        case rateLimited(retryAfter: Double?)
        /// The check failed (outage, timeout, 5xx, bad answer): try again later.
        case unavailable
    }

    /// What to do next.
    public enum Decision: Sendable, Equatable {
        /// Check again at `at` (monotonic seconds), `delay` seconds after `now`.
        case recheck(at: Double, delay: Double)
        /// Stop checking.
        case stop(StopReason)
    }

    /// Why the schedule stopped.
    public enum StopReason: Sendable, Equatable {
        /// The item reached a terminal state.
        case terminal
        /// The next check would come after the deadline.
        case deadline
    }

    public let policy: Policy
    /// The last moment (monotonic seconds) a check may start: the session's expiry.
    public let deadline: Double
    /// Checks scheduled so far.
    public private(set) var scheduledChecks = 0
    /// Set once the schedule stopped; final.
    public private(set) var stopReason: StopReason?

    public init(deadline: Double, policy: Policy = Policy()) {
        self.deadline = deadline
        self.policy = policy
    }

    /// The delay before jitter for the `n`-th check (1-based).
    public func baseDelay(forCheck n: Int) -> Double {
        var delay = policy.initialDelay
        // why: grow step by step and clamp each time, so a long wait cannot overflow to infinity.
        for _ in 1..<max(1, min(n, 64)) {
            delay = min(policy.maximumDelay, delay * policy.multiplier)
            if delay == policy.maximumDelay { break }
        }
        return delay
    }

    /// Records what the check that just ended found, at `now`, and says when to check again.
    public mutating func next<R: RandomNumberGenerator>(after observation: Observation, now: Double, random: inout R) -> Decision {
        if let stopReason { return .stop(stopReason) }
        if observation == .terminal { return stop(.terminal) }
        scheduledChecks += 1
        let unit = ReconnectBackoff.unitInterval(random.next())
        var delay = min(policy.maximumDelay, baseDelay(forCheck: scheduledChecks) * (1 - policy.jitter + 2 * policy.jitter * unit))
        // RFC 9110 §10.2.3: Retry-After "indicates how long the user agent ought to wait before
        // making a follow-up request": a floor, even above maximumDelay.
        if case .rateLimited(let retryAfter?) = observation { delay = max(delay, retryAfter) }
        guard now + delay <= deadline else { return stop(.deadline) }
        return .recheck(at: now + delay, delay: delay)
    }

    private mutating func stop(_ reason: StopReason) -> Decision {
        stopReason = reason
        return .stop(reason)
    }
}
