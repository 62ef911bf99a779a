/// The row access of one open store transaction. `apply(_:)` runs the write rules on it
/// (`CallbackRules`, `WebhookRules`, session creation and deletion), sets versions and collects
/// the changes, so every store applies the same writes the same way and differs only in how it
/// reads and writes rows. The implementation guarantees the isolation contract of `LandingStore`
/// (what it read is not changed by another writer before the transaction ends).
public protocol StoreTransaction {
    /// The record stored under `key` (as this transaction sees it).
    func read(_ key: LandingRecord.Key) throws(StoreError) -> LandingRecord?
    /// Inserts or replaces the record under `record.key`; its `version` is already set: 1 exactly
    /// when this transaction read no record under the key (a store may insert then, and update
    /// otherwise).
    mutating func write(_ record: LandingRecord) throws(StoreError)
    /// Deletes the record under `key`; returns it when it existed.
    mutating func delete(_ key: LandingRecord.Key) throws(StoreError) -> LandingRecord?
    /// The item named by the webhook event `eventId` when that event was applied already.
    func appliedWebhookItem(eventId: String) throws(StoreError) -> String?
    /// Remembers `event` as applied (its id is then a duplicate until purged).
    mutating func rememberWebhook(_ event: WebhookEvent) throws(StoreError)
}

extension StoreTransaction {
    /// Applies `writes` in order and returns their results and the records they changed (each key
    /// once, with its last version, in the order first changed).
    public mutating func apply(_ writes: [StoreWrite]) throws(StoreError) -> StoreCommit {
        var changes = ChangeList()
        var results: [StoreWriteResult] = []
        results.reserveCapacity(writes.count)
        for write in writes { results.append(try apply(write, changes: &changes)) }
        return StoreCommit(results: results, changes: changes.list)
    }

    private mutating func apply(_ write: StoreWrite, changes: inout ChangeList) throws(StoreError) -> StoreWriteResult {
        switch write {
        case .callback(let event):
            return .callback(try apply(event, changes: &changes))
        case .webhook(let event):
            return .webhook(try apply(event, changes: &changes))
        case .createSession(let session):
            guard try read(.session(session.id)) == nil else { throw StoreError(.conflict, "session id already exists") }
            let record = LandingRecord(
                key: .session(session.id), sessionId: session.id, status: .pending, createdAt: session.createdAt,
                updatedAt: session.createdAt, expiresAt: session.expiresAt, clientUserId: session.clientUserId,
                returnURL: session.returnURL, isTest: session.isTest, language: session.language)
            return .sessionCreated(try put(record, changes: &changes))
        case .confirmation(let confirmation):
            return .confirmed(try apply(confirmation, changes: &changes))
        case .deleteSession(let id):
            guard let gone = try delete(.session(id)) else { return .sessionDeleted(false) }
            changes.note(RecordChange(key: gone.key, version: gone.version + 1))
            return .sessionDeleted(true)
        }
    }

    /// Reads the records the event names, applies `CallbackRules`, writes what changed.
    private mutating func apply(_ event: CallbackEvent, changes: inout ChangeList) throws(StoreError) -> CallbackRecordResult {
        let session = try event.sessionId.map { (id) throws(StoreError) in try read(.session(id)) } ?? nil
        let item = try event.itemId.map { (id) throws(StoreError) in try read(.item(id)) } ?? nil
        let outcome = CallbackRules.apply(event, session: session, item: item)
        let writtenSession = try outcome.session.map { (record) throws(StoreError) in try put(record, changes: &changes) }
        let writtenItem = try outcome.item.map { (record) throws(StoreError) in try put(record, changes: &changes) }
        guard case .recorded(let record, let first) = outcome.result else { return outcome.result }
        // The result shows the record as written (with its new version).
        let written: LandingRecord?
        switch record.key {
        case .session: written = writtenSession
        case .item: written = writtenItem
        }
        return .recorded(written ?? record, firstCompletion: first)
    }

    /// The webhook rules of `LandingStore.applyWebhook`.
    private mutating func apply(_ event: WebhookEvent, changes: inout ChangeList) throws(StoreError) -> WebhookResult {
        guard let effect = WebhookRules.effect(of: event) else { return .ignored }
        if let seen = try appliedWebhookItem(eventId: event.eventId) { return .duplicate(try read(.item(seen))) }
        let current = try read(.item(event.itemId))
        // why: read the bound session up front rather than from the rules' closure, which would
        // have to capture (copy) this transaction; a webhook never changes an item's session id.
        let bound = try current?.sessionId.map { (id) throws(StoreError) in try read(.session(id)) } ?? nil
        let outcome = WebhookRules.outcome(of: event, effect: effect, item: current) { (id) -> LandingRecord? in
            bound?.sessionId == id ? bound : nil
        }
        var item = outcome.item
        var session = outcome.session
        if outcome.itemChanged { item = try put(item, changes: &changes) }
        if outcome.sessionChanged, let changed = session { session = try put(changed, changes: &changes) }
        try rememberWebhook(event)
        return .applied(item, sessionRecord: session)
    }

    /// Pluggy's API on an item: the same rules as a webhook with the same meaning (a terminal state
    /// confirms, `confirmedBy: api`; pending never undoes an outcome), plus the institution's name
    /// and the execution status; the session bound to the item mirrors it.
    private mutating func apply(_ confirmation: PluggyConfirmation, changes: inout ChangeList) throws(StoreError) -> LandingRecord {
        let time = confirmation.receivedAt
        let current = try read(.item(confirmation.itemId))
        var item =
            current
            ?? LandingRecord(
                key: .item(confirmation.itemId), itemId: confirmation.itemId, status: .pending, createdAt: time, updatedAt: time)
        let before = item
        WebhookRules.apply(confirmation.effect, at: time, to: &item, source: .api)
        Self.annotate(&item, with: confirmation)
        if current == nil || item != before {
            item.updatedAt = current == nil ? time : max(item.updatedAt, time)
            item = try put(item, changes: &changes)
        }
        if let sessionId = item.sessionId, var session = try read(.session(sessionId)), session.itemId == confirmation.itemId {
            let sessionBefore = session
            WebhookRules.apply(confirmation.effect, at: time, to: &session, source: .api)
            Self.annotate(&session, with: confirmation)
            if session != sessionBefore {
                session.updatedAt = time
                _ = try put(session, changes: &changes)
            }
        }
        return item
    }

    /// Keeps what Pluggy said about the item beside its outcome.
    private static func annotate(_ record: inout LandingRecord, with confirmation: PluggyConfirmation) {
        guard record.status != .expired else { return }
        if let name = confirmation.connectorName { record.connectorName = name }
        if let status = confirmation.executionStatus { record.executionStatus = status }
    }

    /// Writes `record` with its version incremented (from the version it was read with; 0 for a
    /// new record) and notes the change; returns the record as written.
    private mutating func put(_ record: LandingRecord, changes: inout ChangeList) throws(StoreError) -> LandingRecord {
        var record = record
        record.version += 1
        try write(record)
        changes.note(RecordChange(key: record.key, version: record.version))
        return record
    }
}

/// The changes of one transaction: each key once, with its last version, in first-change order.
struct ChangeList {
    private(set) var list: [RecordChange] = []
    /// Position in `list` by key, built once `list` passes `linearSearchLimit` changes.
    private var index: [LandingRecord.Key: Int]?

    /// Changes searched one by one before an index is built.
    // why: most transactions change one or two records; hashing each key cost more than comparing it.
    static let linearSearchLimit = 8

    mutating func note(_ change: RecordChange) {
        if let at = position(of: change.key) {
            list[at].version = change.version
            return
        }
        list.append(change)
        if index != nil {
            index?[change.key] = list.count - 1
        } else if list.count > Self.linearSearchLimit {
            index = Dictionary(uniqueKeysWithValues: list.enumerated().map { ($0.element.key, $0.offset) })
        }
    }

    private func position(of key: LandingRecord.Key) -> Int? {
        if let index { return index[key] }
        return list.firstIndex { $0.key == key }
    }
}
