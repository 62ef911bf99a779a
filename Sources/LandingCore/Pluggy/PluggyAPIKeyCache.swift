/// The API key from `POST /auth` as a pure state machine: the shell asks it what to do, performs
/// the action, and reports back; the clock (`now`, monotonic seconds) is passed in.
///
/// Pluggy's keys live 2 hours and `/auth` has its own rate limit, so:
/// - the key is reused until `refreshAfter` (1 h 50 min by default) after it was requested;
/// - then one caller refreshes it while the others go on with the current key, which stays usable
///   until `usableFor` (2 h minus a minute of margin);
/// - without a usable key, one caller refreshes and the others `wait` for that refresh;
/// - a 401 with the current key (`rejected`) forgets it, so the next `acquire` refreshes;
/// - a failed refresh blocks further ones for `failureCooldown` (or the 429's `Retry-After`, if
///   longer): callers without a usable key get `unavailable` instead of hammering `/auth`.
/// At most one refresh is ever in flight; each has a ticket, and a late report with an old ticket
/// is ignored.
public struct PluggyAPIKeyCache: Sendable, Equatable {
    /// Timings, with documented defaults.
    public struct Policy: Sendable, Equatable {
        /// Seconds after the key was requested when a refresh starts. Default 6600 (1 h 50 min).
        public var refreshAfter: Double
        /// Seconds after the key was requested when it is no longer used. Default 7140 (2 h − 1 min:
        /// the key's 2 h run from Pluggy's clock, and requests take time).
        public var usableFor: Double
        /// Seconds after a failed refresh before another may start. Default 5.
        public var failureCooldown: Double

        public init(refreshAfter: Double = 6600, usableFor: Double = 7140, failureCooldown: Double = 5) {
            precondition(refreshAfter > 0 && usableFor >= refreshAfter && failureCooldown >= 0, "bad key cache policy")
            self.refreshAfter = refreshAfter
            self.usableFor = usableFor
            self.failureCooldown = failureCooldown
        }
    }

    /// What the caller should do to get a key.
    public enum Acquisition: Sendable, Equatable {
        /// Use this key.
        case use(String)
        /// Refresh: `POST /auth`, then report `refreshed` or `refreshFailed` with `ticket`. When the
        /// refresh fails, `current` (if any) is still usable for this request.
        case refresh(ticket: Int, current: String?)
        /// Another caller is refreshing and there is no usable key: wait for its report, then
        /// `acquire` again.
        case wait
        /// The last refresh failed; none may start before `until` (monotonic seconds).
        case unavailable(until: Double)
    }

    public let policy: Policy
    private(set) var key: String?
    /// When the current key was requested.
    private(set) var requestedAt = 0.0
    /// The ticket of the refresh in flight.
    public private(set) var refreshInFlight: Int?
    private var lastTicket = 0
    private var blockedUntil: Double?

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Whether a refresh is in flight.
    public var isRefreshing: Bool { refreshInFlight != nil }

    /// Decides how the caller gets a key at `now`.
    public mutating func acquire(now: Double) -> Acquisition {
        let blocked = blockedUntil.map { now < $0 } ?? false
        if let key, now < requestedAt + policy.usableFor {
            if now >= requestedAt + policy.refreshAfter && refreshInFlight == nil && !blocked {
                return .refresh(ticket: startRefresh(), current: key)
            }
            return .use(key)
        }
        if refreshInFlight != nil { return .wait }
        if blocked, let blockedUntil { return .unavailable(until: blockedUntil) }
        return .refresh(ticket: startRefresh(), current: nil)
    }

    /// The refresh `ticket` got `key`; `requestedAt` is when its request started (the key's life
    /// is counted from then, to be safe).
    public mutating func refreshed(ticket: Int, key: String, requestedAt: Double) {
        guard ticket == refreshInFlight else { return }
        refreshInFlight = nil
        blockedUntil = nil
        self.key = key
        self.requestedAt = requestedAt
    }

    /// The refresh `ticket` failed at `now`; `retryAfter` is a 429's delay, if any.
    public mutating func refreshFailed(ticket: Int, now: Double, retryAfter: Double? = nil) {
        guard ticket == refreshInFlight else { return }
        refreshInFlight = nil
        blockedUntil = now + max(policy.failureCooldown, retryAfter ?? 0)
    }

    /// Pluggy answered 401 to a request made with `key`: forget it if it is still the current one
    /// (a newer key from another caller's refresh is kept).
    public mutating func rejected(key rejectedKey: String) {
        if key == rejectedKey { key = nil }
    }

    private mutating func startRefresh() -> Int {
        lastTicket += 1
        refreshInFlight = lastTicket
        return lastTicket
    }
}
