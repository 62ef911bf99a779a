/// Where the landing flow reports what happened, for metrics. Called on event-loop threads (and
/// the store thread), so implementations must be cheap and thread-safe; `LandingFlowMetrics` is
/// the real one, `NoLandingMetrics` the default.
public protocol LandingMetricsSink: Sendable {
    /// A callback request was answered with `outcome`; `isTest` when it belongs to a QA test record.
    func callback(outcome: CallbackMetricOutcome, isTest: Bool)
    /// A Pluggy webhook with this `event` name was accepted (authenticated and parsed). Any string:
    /// the sink keeps names it does not know under `other`.
    func webhook(event: String)
}

/// Discards everything: the default sink, for tests and tools that export no metrics.
public struct NoLandingMetrics: LandingMetricsSink {
    public init() {}
    public func callback(outcome: CallbackMetricOutcome, isTest: Bool) {}
    public func webhook(event: String) {}
}

/// The `outcome` label of `landing_callbacks_total`: what the callback page showed.
public enum CallbackMetricOutcome: String, Sendable, CaseIterable {
    case completed, failed, unidentified, invalid, expired, unavailable
    /// The query was empty: the page relays the fragment back by POST (which is counted again).
    case relay
    /// HEAD or a link-preview bot: the page was shown, nothing was recorded.
    case preview
    /// Refused with 429: too many callbacks from the client's address this minute.
    case rateLimited = "rate_limited"

    /// The label of a page showing `outcome` (a relay page is `relay`, not its status word `pending`).
    public init(_ outcome: LandingOutcome) {
        switch outcome {
        case .completed: self = .completed
        case .failed: self = .failed
        case .unidentified: self = .unidentified
        case .invalid: self = .invalid
        case .expired: self = .expired
        case .relay: self = .relay
        case .unavailable: self = .unavailable
        case .rateLimited: self = .rateLimited
        }
    }
}
