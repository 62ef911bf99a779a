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
    /// The page language the app chose (one of the catalogs' tags), or nil for Accept-Language.
    public var language: String?

    public init(id: String, clientUserId: String?, returnURL: String?, createdAt: Int64, expiresAt: Int64, isTest: Bool = false, language: String? = nil) {
        self.id = id
        self.clientUserId = clientUserId
        self.returnURL = returnURL
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.isTest = isTest
        self.language = language
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

/// Durable landing state behind a small interface, so the embedded SQLite store can be joined by a
/// PostgreSQL one. Calls are synchronous and may block on disk or network: the server makes them
/// from its store thread (`StoreWorker`), never from an event loop. Every write is durable when
/// the call returns.
///
/// ## Isolation contract (what every implementation must guarantee)
///
/// Each write reads the records it names, applies the pure rules (`CallbackRules`, `WebhookRules`)
/// and writes what they return. SQLite gets this right by `BEGIN IMMEDIATE`, which serialises every
/// writer of the file; another implementation must provide the same outcome explicitly:
///
/// 1. **Atomic read → rules → write.** For each write, no other writer (another thread, another
///    process, another instance sharing the database) may change the records it read between its
///    read and its write. Lock the rows first (`SELECT … FOR UPDATE`, after inserting a placeholder
///    row for a key that may not exist yet) or fold the rule into one statement
///    (`INSERT … ON CONFLICT (key) DO UPDATE … WHERE`); a serialization failure is a `.conflict`,
///    and retrying the whole write is safe.
/// 2. **One transaction per `commit`.** All writes of a batch are durable together or not at all;
///    nothing of a failed batch is visible, and its changes are not reported.
/// 3. **Idempotent replays.** A write replayed after a dropped connection (commit outcome unknown)
///    must be safe: callbacks only count another hit after the first outcome (first callback wins,
///    the first outcome never changes), webhooks dedupe on `eventId` by a unique key
///    (`INSERT … ON CONFLICT DO NOTHING` on the event id, in the same transaction as its effect),
///    session creation relies on the primary key (a replay is a `.conflict`, never a second session).
/// 4. **Versions.** Every write of a record sets its `version` to one more than the version it read
///    (1 for a new record), in the same statement or transaction, so versions of one key never repeat
///    while the record exists; `StoreCommit.changes` lists each changed key with its new version.
/// 5. **No lost counts.** Concurrent hits on one record all count (`hits = hits + 1` under the row lock).
public protocol LandingStore: AnyObject, Sendable {
    /// Applies `writes` in order in one durable transaction (group commit) and reports a result per
    /// write and the records changed. A failure applies none of them. Rules per write: see
    /// `recordCallback`, `applyWebhook`, `createSession`, `deleteSession`.
    func commit(_ writes: [StoreWrite]) throws(StoreError) -> StoreCommit

    func session(id: String) throws(StoreError) -> LandingRecord?
    func item(id: String) throws(StoreError) -> LandingRecord?

    /// Deletes records last updated before `cutoff`, and remembered webhook event ids received
    /// before it; returns how many records (event ids are not counted). Purged records are not
    /// reported as changes (nobody waits on a record untouched for the retention period).
    func purge(updatedBefore cutoff: Int64) throws(StoreError) -> Int

    /// One small step of `purge(updatedBefore:)`, in one short transaction: deletes at most `limit`
    /// rows (records first, then remembered webhook event ids) from what `purge` would delete, so
    /// a long purge never holds the write lock for long. Call it again until `isComplete`.
    /// The default runs the whole purge as one step.
    func purge(updatedBefore cutoff: Int64, limit: Int) throws(StoreError) -> PurgeBatch

    /// Housekeeping the store thread runs when it has been idle for a while (about once a second,
    /// `now` in monotonic seconds): a networked store pings an idle connection and re-establishes a
    /// lost one when its backoff allows. The default does nothing.
    func maintain(now: Double)
}

/// What one `LandingStore.purge(updatedBefore:limit:)` step deleted.
public struct PurgeBatch: Sendable, Equatable {
    /// Records (items and sessions) deleted.
    public var records: Int
    /// Rows deleted, remembered webhook event ids included; at most the step's limit.
    public var rows: Int
    /// Nothing older than the cutoff is left (a step that deleted fewer rows than its limit).
    public var isComplete: Bool
    /// Another instance sharing the database is purging now, so this run stopped without deleting
    /// anything (`isComplete` is true too): one purge at a time is enough.
    public var skippedForAnotherInstance: Bool

    public init(records: Int, rows: Int, isComplete: Bool, skippedForAnotherInstance: Bool = false) {
        self.records = records
        self.rows = rows
        self.isComplete = isComplete
        self.skippedForAnotherInstance = skippedForAnotherInstance
    }
}

extension LandingStore {
    public func maintain(now: Double) {}

    public func purge(updatedBefore cutoff: Int64, limit: Int) throws(StoreError) -> PurgeBatch {
        let records = try purge(updatedBefore: cutoff)
        return PurgeBatch(records: records, rows: records, isComplete: true)
    }

    /// Applies a callback. With a session id: the session must exist and not be expired (else
    /// `.unknownSession`, nothing written); its first callback sets its outcome and binds the item id;
    /// later callbacks only count hits. With an item id: the item record is created or its hits
    /// counted (the first outcome stays); a session callback with an item id updates both records.
    public func recordCallback(_ event: CallbackEvent) throws(StoreError) -> CallbackRecordResult {
        try recordCallbacks([event])[0]
    }

    /// Several callbacks in one durable transaction (group commit); results in order.
    public func recordCallbacks(_ events: [CallbackEvent]) throws(StoreError) -> [CallbackRecordResult] {
        try commitEach(events.map(StoreWrite.callback), \.callbackResult)
    }

    /// Applies a Pluggy webhook by `WebhookRules`: an event the rules do not map is `.ignored`
    /// (nothing read or written); an event id already applied is a `.duplicate` (nothing written);
    /// otherwise the item record is created or updated, the session bound to it mirrors it, the
    /// event id is remembered (until purged), all in one durable write, and the result is
    /// `.applied`.
    public func applyWebhook(_ event: WebhookEvent) throws(StoreError) -> WebhookResult {
        try applyWebhooks([event])[0]
    }

    /// Several webhooks in one durable transaction (group commit); results in order. A failure
    /// applies none of them.
    public func applyWebhooks(_ events: [WebhookEvent]) throws(StoreError) -> [WebhookResult] {
        try commitEach(events.map(StoreWrite.webhook), \.webhookResult)
    }

    /// Creates a pending session (version 1); a session id that exists already is a `.conflict`.
    public func createSession(_ session: NewSession) throws(StoreError) -> LandingRecord {
        try commitEach([.createSession(session)], \.createdSession)[0]
    }

    /// Deletes a session; returns whether it existed.
    public func deleteSession(id: String) throws(StoreError) -> Bool {
        try commitEach([.deleteSession(id: id)], \.sessionExisted)[0]
    }

    /// Commits `writes` and returns their results as `T` (one per write, in order).
    private func commitEach<T>(_ writes: [StoreWrite], _ extract: (StoreWriteResult) -> T?) throws(StoreError) -> [T] {
        let results = try commit(writes).results
        guard results.count == writes.count else {
            throw StoreError(.corrupt, "the store returned \(results.count) results for \(writes.count) writes")
        }
        return try results.map { (result) throws(StoreError) in try result.typed(extract) }
    }
}
