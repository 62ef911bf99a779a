import Synchronization

/// `--store memory:`: the landing records in a dictionary, for tests and development. Same
/// semantics as the SQLite store (the shared conformance tests run against both); nothing survives
/// a restart. One lock serialises every call, which gives the isolation contract of `LandingStore`.
public final class MemoryStore: LandingStore {
    struct State {
        var items: [String: LandingRecord] = [:]
        var sessions: [String: LandingRecord] = [:]
        /// Applied webhook event ids: the item each named and when it arrived (for purge).
        var webhookEvents: [String: (itemId: String, receivedAt: Int64)] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Applies the writes under one lock, so no reader sees half of them; a failure undoes them all.
    public func commit(_ writes: [StoreWrite]) throws(StoreError) -> StoreCommit {
        try state.withLock { (state: inout State) throws(StoreError) -> StoreCommit in
            var transaction = MemoryTransaction()
            // why: swap the state in and out (O(1)) rather than copy it, so a write costs no copy.
            swap(&transaction.state, &state)
            defer { swap(&transaction.state, &state) }
            do throws(StoreError) {
                return try transaction.apply(writes)
            } catch {
                transaction.rollBack()
                throw error
            }
        }
    }

    public func session(id: String) throws(StoreError) -> LandingRecord? {
        state.withLock { $0.sessions[id] }
    }

    public func item(id: String) throws(StoreError) -> LandingRecord? {
        state.withLock { $0.items[id] }
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
}

/// One `MemoryStore.commit`: the store's state, lent for the call, and an undo log so a failed
/// commit leaves nothing behind.
struct MemoryTransaction: StoreTransaction {
    var state = MemoryStore.State()
    /// The value each touched key had before this transaction (nil: absent), first touch only.
    private var undo: [LandingRecord.Key: LandingRecord?] = [:]
    private var rememberedEvents: [String] = []

    func read(_ key: LandingRecord.Key) throws(StoreError) -> LandingRecord? {
        switch key {
        case .item(let id): state.items[id]
        case .session(let id): state.sessions[id]
        }
    }

    mutating func write(_ record: LandingRecord) throws(StoreError) {
        set(record.key, to: record)
    }

    mutating func delete(_ key: LandingRecord.Key) throws(StoreError) -> LandingRecord? {
        let old = try read(key)
        if old != nil { set(key, to: nil) }
        return old
    }

    func appliedWebhookItem(eventId: String) throws(StoreError) -> String? {
        state.webhookEvents[eventId]?.itemId
    }

    mutating func rememberWebhook(_ event: WebhookEvent) throws(StoreError) {
        state.webhookEvents[event.eventId] = (event.itemId, event.receivedAt)
        rememberedEvents.append(event.eventId)
    }

    /// Puts back what this transaction changed.
    mutating func rollBack() {
        for (key, old) in undo { store(key, old) }
        for id in rememberedEvents { state.webhookEvents[id] = nil }
        undo = [:]
        rememberedEvents = []
    }

    private mutating func set(_ key: LandingRecord.Key, to record: LandingRecord?) {
        if undo.index(forKey: key) == nil {
            let old: LandingRecord? =
                switch key {
                case .item(let id): state.items[id]
                case .session(let id): state.sessions[id]
                }
            // why: `updateValue`, since assigning a nil value through the subscript would remove the entry.
            undo.updateValue(old, forKey: key)
        }
        store(key, record)
    }

    private mutating func store(_ key: LandingRecord.Key, _ record: LandingRecord?) {
        switch key {
        case .item(let id): state.items[id] = record
        case .session(let id): state.sessions[id] = record
        }
    }
}
