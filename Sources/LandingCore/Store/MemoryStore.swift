import Synchronization

/// `--store memory:`: the landing records in a dictionary, for tests and development. Same
/// semantics as the SQLite store (the shared conformance tests run against both); nothing survives
/// a restart.
public final class MemoryStore: LandingStore {
    private struct State {
        var items: [String: LandingRecord] = [:]
        var sessions: [String: LandingRecord] = [:]
        /// Applied webhook event ids: the item each named and when it arrived (for purge).
        var webhookEvents: [String: (itemId: String, receivedAt: Int64)] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func recordCallback(_ event: CallbackEvent) throws(StoreError) -> CallbackRecordResult {
        state.withLock { state in Self.apply(event, to: &state) }
    }

    public func createSession(_ session: NewSession) throws(StoreError) -> LandingRecord {
        try state.withLock { (state: inout State) throws(StoreError) -> LandingRecord in
            guard state.sessions[session.id] == nil else { throw StoreError("session id already exists") }
            let record = LandingRecord(
                key: .session(session.id), sessionId: session.id, status: .pending, createdAt: session.createdAt,
                updatedAt: session.createdAt, expiresAt: session.expiresAt, clientUserId: session.clientUserId,
                returnURL: session.returnURL, isTest: session.isTest)
            state.sessions[session.id] = record
            return record
        }
    }

    public func session(id: String) throws(StoreError) -> LandingRecord? {
        state.withLock { $0.sessions[id] }
    }

    public func item(id: String) throws(StoreError) -> LandingRecord? {
        state.withLock { $0.items[id] }
    }

    public func deleteSession(id: String) throws(StoreError) -> Bool {
        state.withLock { $0.sessions.removeValue(forKey: id) != nil }
    }

    public func purge(updatedBefore cutoff: Int64) throws(StoreError) -> Int {
        state.withLock { state in
            let before = state.items.count + state.sessions.count
            state.items = state.items.filter { $0.value.updatedAt >= cutoff }
            state.sessions = state.sessions.filter { $0.value.updatedAt >= cutoff }
            state.webhookEvents = state.webhookEvents.filter { $0.value.receivedAt >= cutoff }
            return before - state.items.count - state.sessions.count
        }
    }

    public func purge(updatedBefore cutoff: Int64, limit: Int) throws(StoreError) -> PurgeBatch {
        state.withLock { state in
            let limit = max(1, limit)
            var rows = 0
            for key in state.items.lazy.filter({ $0.value.updatedAt < cutoff }).map(\.key).prefix(limit) {
                state.items[key] = nil
                rows += 1
            }
            for key in state.sessions.lazy.filter({ $0.value.updatedAt < cutoff }).map(\.key).prefix(limit - rows) {
                state.sessions[key] = nil
                rows += 1
            }
            let records = rows
            for key in state.webhookEvents.lazy.filter({ $0.value.receivedAt < cutoff }).map(\.key).prefix(limit - rows) {
                state.webhookEvents[key] = nil
                rows += 1
            }
            return PurgeBatch(records: records, rows: rows, isComplete: rows < limit)
        }
    }

    public func applyWebhook(_ event: WebhookEvent) throws(StoreError) -> WebhookResult {
        state.withLock { state in Self.apply(event, to: &state) }
    }

    /// Applies the events under one lock, so no reader sees half of them.
    public func applyWebhooks(_ events: [WebhookEvent]) throws(StoreError) -> [WebhookResult] {
        state.withLock { state in events.map { Self.apply($0, to: &state) } }
    }

    /// The webhook rules of `LandingStore.applyWebhook`, step for step as in `SQLiteStore.apply`.
    private static func apply(_ event: WebhookEvent, to state: inout State) -> WebhookResult {
        guard let effect = WebhookRules.effect(of: event) else { return .ignored }
        if let seen = state.webhookEvents[event.eventId] { return .duplicate(state.items[seen.itemId]) }
        let outcome = WebhookRules.outcome(of: event, effect: effect, item: state.items[event.itemId]) { (id) throws(Never) in
            state.sessions[id]
        }
        if outcome.itemChanged { state.items[event.itemId] = outcome.item }
        if outcome.sessionChanged, let session = outcome.session, let id = outcome.item.sessionId { state.sessions[id] = session }
        state.webhookEvents[event.eventId] = (event.itemId, event.receivedAt)
        return .applied(outcome.item, sessionRecord: outcome.session)
    }

    /// Reads the records the event names, applies `CallbackRules`, writes what changed.
    private static func apply(_ event: CallbackEvent, to state: inout State) -> CallbackRecordResult {
        let outcome = CallbackRules.apply(
            event, session: event.sessionId.flatMap { state.sessions[$0] }, item: event.itemId.flatMap { state.items[$0] })
        if let session = outcome.session, let id = session.sessionId { state.sessions[id] = session }
        if let item = outcome.item, let id = item.itemId { state.items[id] = item }
        return outcome.result
    }
}
