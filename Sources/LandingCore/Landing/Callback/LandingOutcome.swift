/// What a landing page shows. Decided by the handler from the request and the stored record.
public enum LandingOutcome: Sendable, Equatable {
    /// The authorization finished; the app can continue.
    case completed(itemId: String?, sessionId: String?)
    /// The bank or aggregator returned an OAuth error.
    case failed(itemId: String?, sessionId: String?, error: LandingError)
    /// Neither an item id nor a session: the connection cannot be identified (400). Any OAuth error
    /// that came with it is still shown.
    case unidentified(error: LandingError?)
    /// The callback itself is malformed (400 `invalid_request`): repeated parameter, bad item id,
    /// bad encoding. `explanation` never echoes request data.
    case invalid(explanation: String)
    /// Unknown or expired session link (404); nothing was recorded.
    case expired
    /// The query was empty: the page relays `location.hash` (fragment response mode) by POST.
    case relay(sessionId: String?)
    /// The store failed; the user is asked to retry (503). Nothing is lost: nothing was acknowledged.
    case unavailable
    /// Too many callbacks from the client's address this minute (429, RFC 6585 §4): refused before
    /// the store is touched; the response carries `Retry-After: retryAfterSeconds`.
    case rateLimited(retryAfterSeconds: Int)

    /// 429 Too Many Requests (RFC 6585 §4).
    // why: spelled here until `HTTPStatus` (LandingCore/HTTP) has its own constant.
    static let tooManyRequests = HTTPStatus(code: 429, reasonPhrase: "Too Many Requests")

    public var httpStatus: HTTPStatus {
        switch self {
        case .completed, .failed, .relay: .ok
        case .unidentified, .invalid: .badRequest
        case .expired: .notFound
        case .unavailable: .serviceUnavailable
        case .rateLimited: Self.tooManyRequests
        }
    }

    /// The `status` word used in the page data, the JSON answer and the postMessage.
    public var statusName: String {
        switch self {
        case .completed: "completed"
        case .failed: "failed"
        case .unidentified: "unidentified"
        case .invalid: "invalid"
        case .expired: "expired"
        case .relay: "pending"
        case .unavailable: "unavailable"
        case .rateLimited: "rate_limited"
        }
    }

    public var itemId: String? {
        switch self {
        case .completed(let item, _), .failed(let item, _, _): item
        default: nil
        }
    }

    public var sessionId: String? {
        switch self {
        case .completed(_, let session), .failed(_, let session, _): session
        case .relay(let session): session
        default: nil
        }
    }

    public var error: LandingError? {
        switch self {
        case .failed(_, _, let error): error
        case .unidentified(let error): error
        case .invalid: LandingError(code: "invalid_request", description: nil)
        default: nil
        }
    }

    /// The outcome a stored record renders as (a refresh renders the first outcome again).
    /// This outcome without the bank's (or anyone's) `error_description`: only the error code, for
    /// which the page shows the server's own message.
    public var withoutBankDetail: LandingOutcome {
        switch self {
        case .failed(let item, let session, let error):
            return .failed(itemId: item, sessionId: session, error: LandingError(code: error.code, description: nil))
        case .unidentified(let error?):
            return .unidentified(error: LandingError(code: error.code, description: nil))
        default:
            return self
        }
    }

    /// Whether a callback that produced `record` can be attributed to a connection this server
    /// knows of, so that the bank's description it carries may be shown: the record is a live
    /// session's (the app created it; the callback came on its path), or an item bound to a
    /// session, confirmed by a webhook, or created before this callback by a webhook (an item whose
    /// first callback this is, created earlier). Anything else — an item id a browser made up — is
    /// not: its description could be anyone's text on the integrator's domain.
    public static func isAttributable(_ record: LandingRecord, callbackAt time: Int64) -> Bool {
        switch record.key {
        case .session:
            return true
        case .item:
            if record.sessionId != nil || record.confirmed { return true }
            return record.createdAt < time && record.hits == 1
        }
    }

    public static func from(record: LandingRecord) -> LandingOutcome {
        if record.status == .failed, let error = record.error {
            return .failed(itemId: record.itemId, sessionId: record.sessionId, error: error)
        }
        return .completed(itemId: record.itemId, sessionId: record.sessionId)
    }
}
