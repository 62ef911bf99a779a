/// One thing a support engineer asks about ("why did this user fail?"): a callback's outcome, a
/// webhook's result, an authentication failure. The server logs each as one info line
/// (`LandingEventSink`); it never carries an OAuth code, state, key or secret — only ids the
/// server validated, the outcome, and an error code.
public struct LandingEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case callback
        case webhook
        case authenticationFailure = "authentication failed"
    }

    public var kind: Kind
    /// The request's id (also in the access log and `X-Request-Id`).
    public var requestID: String?
    public var itemId: String?
    public var sessionId: String?
    /// callback: the page's outcome (`completed`, `failed`, `unidentified`, `invalid`, `expired`,
    /// `unavailable`, `relay`, `preview`, `rate_limited`); webhook: `applied`, `duplicate`,
    /// `ignored`, `rejected`, `unavailable`; authentication failure: `missing` or `invalid`.
    public var outcome: String
    /// The OAuth or Pluggy error code (NQSCHAR-sanitized), when there is one.
    public var errorCode: String?
    public var isTest: Bool
    /// webhook: Pluggy's event name; authentication failure: what was asked (`api`, `webhook`).
    public var detail: String?

    public init(
        kind: Kind, requestID: String?, itemId: String? = nil, sessionId: String? = nil, outcome: String, errorCode: String? = nil,
        isTest: Bool = false, detail: String? = nil
    ) {
        self.kind = kind
        self.requestID = requestID
        self.itemId = itemId
        self.sessionId = sessionId
        self.outcome = outcome
        self.errorCode = errorCode
        self.isTest = isTest
        self.detail = detail
    }
}

/// Where `LandingEvent`s go: the server logs them; tests collect them.
public protocol LandingEventSink: Sendable {
    func record(_ event: LandingEvent)
}

/// Records nothing (the default for handlers built without a sink).
public struct NoLandingEvents: LandingEventSink {
    public init() {}
    public func record(_ event: LandingEvent) {}
}
