/// A validated callback, ready to be recorded.
public struct CallbackEvent: Sendable, Equatable {
    public var itemId: String?
    /// Set when the callback arrived on `/oauth/callback/{sessionId}`.
    public var sessionId: String?
    /// nil → completed; an error → failed.
    public var error: LandingError?
    public var rawParameters: [RawParameter]
    public var droppedParameters: Int
    public var receivedAt: Int64
    public var isTest: Bool

    public init(
        itemId: String?, sessionId: String?, error: LandingError?, rawParameters: [RawParameter] = [],
        droppedParameters: Int = 0, receivedAt: Int64, isTest: Bool = false
    ) {
        self.itemId = itemId
        self.sessionId = sessionId
        self.error = error
        self.rawParameters = rawParameters
        self.droppedParameters = droppedParameters
        self.receivedAt = receivedAt
        self.isTest = isTest
    }
}

/// What recording a callback produced.
public enum CallbackRecordResult: Sendable, Equatable {
    /// The record(s) after the callback: the session record when the callback named a session,
    /// else the item record. `firstCompletion` is false on a refresh or second hit, which renders
    /// the first outcome again and only counts the hit.
    case recorded(LandingRecord, firstCompletion: Bool)
    /// The session id is unknown or expired: nothing was recorded.
    case unknownSession
}

/// A new session to create.
public struct NewSession: Sendable, Equatable {
    public var id: String
    public var clientUserId: String?
    public var returnURL: String?
    public var createdAt: Int64
    public var expiresAt: Int64
    public var isTest: Bool

    public init(id: String, clientUserId: String?, returnURL: String?, createdAt: Int64, expiresAt: Int64, isTest: Bool = false) {
        self.id = id
        self.clientUserId = clientUserId
        self.returnURL = returnURL
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.isTest = isTest
    }
}

/// A store failure, with a kind the caller can act on. Never carries secrets.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the caller can do about it.
    public enum Kind: Sendable, Equatable {
        /// The store cannot be reached or is busy now (disk full, database down, connection lost):
        /// retry later; nothing was written.
        case unavailable
        /// The write lost a race with another writer (serialization failure, duplicate key where
        /// none was expected): retrying the same idempotent write is safe.
        case conflict
        /// The data or the program is wrong (corrupt row, newer schema, broken invariant):
        /// retrying will not help; an operator must look.
        case corrupt
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// A failure whose kind is not known: treated as `.corrupt` (not retried).
    public init(_ message: String) {
        self.init(.corrupt, message)
    }

    public var description: String { "store error (\(kind)): \(message)" }
}

/// Durable landing state behind a small interface, so the embedded SQLite store can later be
/// joined by a PostgreSQL one. Calls are synchronous and may block on disk: the server makes them
/// from its store thread, never from an event loop. Every write is durable when the call returns.
public protocol LandingStore: AnyObject, Sendable {
    /// Applies a callback. With a session id: the session must exist and not be expired (else
    /// `.unknownSession`, nothing written); its first callback sets its outcome and binds the item id;
    /// later callbacks only count hits. With an item id: the item record is created or its hits
    /// counted (the first outcome stays); a session callback with an item id updates both records.
    func recordCallback(_ event: CallbackEvent) throws(StoreError) -> CallbackRecordResult

    /// Several callbacks in one durable transaction (group commit); results in order.
    func recordCallbacks(_ events: [CallbackEvent]) throws(StoreError) -> [CallbackRecordResult]

    func createSession(_ session: NewSession) throws(StoreError) -> LandingRecord
    func session(id: String) throws(StoreError) -> LandingRecord?
    func item(id: String) throws(StoreError) -> LandingRecord?
    /// Deletes a session; returns whether it existed.
    func deleteSession(id: String) throws(StoreError) -> Bool
    /// Deletes records last updated before `cutoff`, and remembered webhook event ids received
    /// before it; returns how many records (event ids are not counted).
    func purge(updatedBefore cutoff: Int64) throws(StoreError) -> Int

    /// One small step of `purge(updatedBefore:)`, in one short transaction: deletes at most `limit`
    /// rows (records first, then remembered webhook event ids) from what `purge` would delete, so
    /// a long purge never holds the write lock for long. Call it again until `isComplete`.
    /// The default runs the whole purge as one step.
    func purge(updatedBefore cutoff: Int64, limit: Int) throws(StoreError) -> PurgeBatch

    /// Applies a Pluggy webhook by `WebhookRules`: an event the rules do not map is `.ignored`
    /// (nothing read or written); an event id already applied is a `.duplicate` (nothing written);
    /// otherwise the item record is created or updated, the session bound to it mirrors it, the
    /// event id is remembered (until purged), all in one durable write, and the result is
    /// `.applied`.
    func applyWebhook(_ event: WebhookEvent) throws(StoreError) -> WebhookResult

    /// Several webhooks in one durable transaction (group commit); results in order. A failure
    /// applies none of them.
    func applyWebhooks(_ events: [WebhookEvent]) throws(StoreError) -> [WebhookResult]
}

/// What one `LandingStore.purge(updatedBefore:limit:)` step deleted.
public struct PurgeBatch: Sendable, Equatable {
    /// Records (items and sessions) deleted.
    public var records: Int
    /// Rows deleted, remembered webhook event ids included; at most the step's limit.
    public var rows: Int
    /// Nothing older than the cutoff is left (a step that deleted fewer rows than its limit).
    public var isComplete: Bool

    public init(records: Int, rows: Int, isComplete: Bool) {
        self.records = records
        self.rows = rows
        self.isComplete = isComplete
    }
}

extension LandingStore {
    public func purge(updatedBefore cutoff: Int64, limit: Int) throws(StoreError) -> PurgeBatch {
        let records = try purge(updatedBefore: cutoff)
        return PurgeBatch(records: records, rows: records, isComplete: true)
    }

    public func applyWebhooks(_ events: [WebhookEvent]) throws(StoreError) -> [WebhookResult] {
        var results: [WebhookResult] = []
        for event in events { results.append(try applyWebhook(event)) }
        return results
    }

    public func recordCallbacks(_ events: [CallbackEvent]) throws(StoreError) -> [CallbackRecordResult] {
        var results: [CallbackRecordResult] = []
        for event in events { results.append(try recordCallback(event)) }
        return results
    }
}
