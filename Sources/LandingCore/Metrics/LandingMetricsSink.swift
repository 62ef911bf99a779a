/// Where the landing flow reports what happened, for metrics. Called on event-loop threads (and
/// the store thread), so implementations must be cheap and thread-safe; `LandingFlowMetrics` is
/// the real one, `NoLandingMetrics` the default.
public protocol LandingMetricsSink: Sendable {
    /// A callback request was answered with `outcome`; `isTest` when it belongs to a QA test record.
    func callback(outcome: CallbackMetricOutcome, isTest: Bool)
    /// A request to the Pluggy webhook was answered with `result`. `event` is the payload's event
    /// name when it was read (any string: the sink keeps names it does not know under `other`), nil
    /// when the request was refused before (secret, size, content type, payload).
    func webhook(event: String?, result: WebhookMetricResult)
    /// A session was created (and is durable).
    func sessionCreated()
    /// A session created by this process reached its expiry still pending (`SessionExpiryWatch`).
    func sessionExpired()
}

/// Discards everything: the default sink, for tests and tools that export no metrics.
public struct NoLandingMetrics: LandingMetricsSink {
    public init() {}
    public func callback(outcome: CallbackMetricOutcome, isTest: Bool) {}
    public func webhook(event: String?, result: WebhookMetricResult) {}
    public func sessionCreated() {}
    public func sessionExpired() {}
}

/// The `result` label of `landing_webhook_events_total`: how a webhook request was answered. Each
/// request counts once; the sum over results is every request to the webhook route.
public enum WebhookMetricResult: String, Sendable, CaseIterable {
    /// Stored (200 `applied`).
    case applied
    /// An event id already applied (200 `duplicate`).
    case duplicate
    /// An event the rules do not map (202 `ignored`).
    case ignored
    /// Refused before the store: a missing or wrong secret (401), too large (413), not JSON (415),
    /// an invalid payload (400).
    case rejected
    /// The store failed (503 or 500; Pluggy retries).
    case unavailable
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
