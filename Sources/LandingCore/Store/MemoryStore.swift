import Synchronization

/// `--store memory:`: the landing records in a dictionary, for tests and development. Same
/// semantics as the SQLite store (the shared conformance tests run against both); nothing survives
/// a restart.
public final class MemoryStore: LandingStore {
    private struct State {
        var items: [String: LandingRecord] = [:]
        var sessions: [String: LandingRecord] = [:]
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
            return before - state.items.count - state.sessions.count
        }
    }

    /// The callback rules, shared in spirit with the SQLite store (see `LandingStore.recordCallback`).
    private static func apply(_ event: CallbackEvent, to state: inout State) -> CallbackRecordResult {
        let now = event.receivedAt
        var sessionResult: (LandingRecord, Bool)?
        if let sessionID = event.sessionId {
            guard var session = state.sessions[sessionID], session.effectiveStatus(now: now) != .expired else {
                return .unknownSession
            }
            let first = session.status == .pending
            session.hits += 1
            session.updatedAt = now
            if first {
                complete(&session, with: event)
                session.itemId = event.itemId
            }
            state.sessions[sessionID] = session
            sessionResult = (session, first)
        }
        var itemResult: (LandingRecord, Bool)?
        if let itemID = event.itemId {
            if var item = state.items[itemID] {
                let first = item.status == .pending
                item.hits += 1
                item.updatedAt = now
                if first { complete(&item, with: event) }
                if item.sessionId == nil { item.sessionId = event.sessionId }
                state.items[itemID] = item
                itemResult = (item, first)
            } else {
                var item = LandingRecord(
                    key: .item(itemID), itemId: itemID, sessionId: event.sessionId, status: .pending, hits: 1,
                    createdAt: now, updatedAt: now, isTest: event.isTest)
                complete(&item, with: event)
                state.items[itemID] = item
                itemResult = (item, true)
            }
        }
        if let (record, first) = sessionResult ?? itemResult {
            return .recorded(record, firstCompletion: first)
        }
        return .unknownSession
    }

    private static func complete(_ record: inout LandingRecord, with event: CallbackEvent) {
        record.status = event.error == nil ? .completed : .failed
        record.error = event.error
        record.completedAt = event.receivedAt
        record.rawParameters = event.rawParameters
        record.droppedParameters = event.droppedParameters
        record.isTest = record.isTest || event.isTest
    }
}
