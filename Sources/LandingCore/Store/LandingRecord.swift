/// The state of one authorization, as apps see it.
public enum LandingStatus: String, Sendable, Equatable, CaseIterable {
    /// Created (a session) or reported in progress (a webhook), not finished.
    case pending
    /// The browser came back without an error (or a webhook said the item updated).
    case completed
    /// The browser came back with an OAuth error (or a webhook reported an item error).
    case failed
    /// A session that outlived its TTL without completing, or a deleted item.
    case expired
}

/// One query/form parameter kept for forensics (never `code` or `state`: those are secrets).
public struct RawParameter: Sendable, Equatable, Codable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// An OAuth error as reported to the redirect URI (RFC 6749 §4.1.2.1), already sanitized.
public struct LandingError: Sendable, Equatable {
    public var code: String
    public var description: String?
    public init(code: String, description: String?) {
        self.code = code
        self.description = description
    }
}

/// Who confirmed a record's outcome.
public enum ConfirmationSource: String, Sendable, Equatable {
    /// A Pluggy webhook (`item/updated`, `item/error`, …).
    case webhook
    /// Pluggy's API (`GET /items/{id}`), asked by this server.
    case api
}

/// The record kept per item id and per session id. Times are milliseconds since the Unix epoch.
public struct LandingRecord: Sendable, Equatable {
    /// Which key this record is stored under.
    public enum Key: Sendable, Hashable {
        case item(String)
        case session(String)
    }

    public var key: Key
    /// The item id: the key for item records; for a session, the item bound by its callback.
    public var itemId: String?
    /// The session id: the key for session records; for an item, the session it arrived through.
    public var sessionId: String?
    public var status: LandingStatus
    /// A webhook (or Pluggy's API) confirmed the outcome.
    public var confirmed: Bool
    /// What confirmed it, when `confirmed` (the initializer defaults it to `.webhook` then).
    public var confirmedBy: ConfirmationSource?
    /// The institution's name (Pluggy's connector), when Pluggy gave it.
    public var connectorName: String?
    /// Pluggy's `executionStatus` for the item, when Pluggy's API gave it.
    public var executionStatus: String?
    /// Session only: the page language the app chose at creation (wins over Accept-Language).
    public var language: String?
    public var error: LandingError?
    /// Callbacks received for this record (refreshes included).
    public var hits: Int
    public var createdAt: Int64
    public var updatedAt: Int64
    public var completedAt: Int64?
    /// When a pending session turns `expired`; nil for items.
    public var expiresAt: Int64?
    /// Parameters of the first callback (bounded), for forensics.
    public var rawParameters: [RawParameter]
    /// Parameters beyond the bound, counted and dropped.
    public var droppedParameters: Int
    /// Session only: the app's correlation value and return link.
    public var clientUserId: String?
    public var returnURL: String?
    /// Created through the QA page.
    public var isTest: Bool
    /// Incremented by every write of this record (1 once first written; 0 for a record the rules
    /// built and no store has written yet). Long-poll ETags and change notifications carry it.
    public var version: Int64

    public init(
        key: Key, itemId: String? = nil, sessionId: String? = nil, status: LandingStatus, confirmed: Bool = false,
        error: LandingError? = nil, hits: Int = 0, createdAt: Int64, updatedAt: Int64, completedAt: Int64? = nil,
        expiresAt: Int64? = nil, rawParameters: [RawParameter] = [], droppedParameters: Int = 0,
        clientUserId: String? = nil, returnURL: String? = nil, isTest: Bool = false, version: Int64 = 0,
        confirmedBy: ConfirmationSource? = nil, connectorName: String? = nil, executionStatus: String? = nil, language: String? = nil
    ) {
        self.key = key
        self.itemId = itemId
        self.sessionId = sessionId
        self.status = status
        self.confirmed = confirmed
        self.error = error
        self.hits = hits
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.completedAt = completedAt
        self.expiresAt = expiresAt
        self.rawParameters = rawParameters
        self.droppedParameters = droppedParameters
        self.clientUserId = clientUserId
        self.returnURL = returnURL
        self.isTest = isTest
        self.version = version
        // A confirmed record always says by what; before Pluggy's API was asked, only webhooks confirmed.
        self.confirmedBy = confirmedBy ?? (confirmed ? .webhook : nil)
        self.connectorName = connectorName
        self.executionStatus = executionStatus
        self.language = language
    }

    /// The status as of `now`: a pending session past its expiry reads as `expired`.
    public func effectiveStatus(now: Int64) -> LandingStatus {
        Self.effectiveStatus(status, expiresAt: expiresAt, now: now)
    }

    /// `effectiveStatus(now:)` from the two fields it reads.
    public static func effectiveStatus(_ status: LandingStatus, expiresAt: Int64?, now: Int64) -> LandingStatus {
        if status == .pending, let expiresAt, now >= expiresAt { return .expired }
        return status
    }
}
