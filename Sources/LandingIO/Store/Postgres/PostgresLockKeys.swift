import LandingCore

/// The advisory lock keys one `PostgresStore.commit` takes before its first read: a 64-bit hash of
/// every record key its writes name (items and sessions) and of every webhook event id they may
/// remember, sorted ascending and without repeats.
///
/// Every commit takes its keys in this one global order, so two commits never wait for each other
/// in a cycle. A hash collision only serializes two unrelated keys; it never lets two writers of
/// one key run together.
///
/// The record ids behind the keys (`itemIds`, `sessionIds`) are what the commit reads up front, in
/// one statement per table, once the locks are held (`PostgresTransaction.prefetchStatements`).
struct PostgresLockKeys: Equatable {
    /// The keys, ascending, each once.
    let keys: [Int64]
    /// The item ids the writes name, each once, in first-named order.
    let itemIds: [String]
    /// The session ids the writes name, each once, in first-named order.
    let sessionIds: [String]

    init(_ writes: [StoreWrite]) {
        var keys = Set<Int64>()
        var items = OrderedIds()
        var sessions = OrderedIds()
        for write in writes {
            switch write {
            case .callback(let event):
                if let id = event.sessionId { keys.insert(Self.hash(.session(id))); sessions.add(id) }
                if let id = event.itemId { keys.insert(Self.hash(.item(id))); items.add(id) }
            case .webhook(let event):
                // An event the rules ignore reads and writes nothing.
                guard WebhookRules.effect(of: event) != nil else { continue }
                keys.insert(Self.hash(.item(event.itemId)))
                keys.insert(Self.hash(webhookEventId: event.eventId))
                items.add(event.itemId)
            case .createSession(let session):
                keys.insert(Self.hash(.session(session.id)))
                sessions.add(session.id)
            case .deleteSession(let id):
                keys.insert(Self.hash(.session(id)))
                sessions.add(id)
            case .confirmation(let confirmation):
                keys.insert(Self.hash(.item(confirmation.itemId)))
                items.add(confirmation.itemId)
            }
        }
        self.keys = keys.sorted()
        itemIds = items.ids
        sessionIds = sessions.ids
    }

    /// Ids, each once, in the order first added.
    private struct OrderedIds {
        var ids: [String] = []
        var seen = Set<String>()
        mutating func add(_ id: String) {
            if seen.insert(id).inserted { ids.append(id) }
        }
    }

    /// The statement that takes every key with `pg_advisory_xact_lock`, in order (none when there
    /// are no keys); the locks are held until the open transaction ends.
    // why: `unnest` yields the array in order and the lock function is volatile, so PostgreSQL
    // calls it row by row in that order; the keys are bigint parameters, never spliced into SQL.
    var statements: [PGStatement] {
        guard !keys.isEmpty else { return [] }
        let array = "{" + keys.map(String.init).joined(separator: ",") + "}"
        return [PGStatement(Self.acquireSQL, [array])]
    }

    static let acquireSQL = "SELECT pg_advisory_xact_lock(key) FROM unnest($1::bigint[]) WITH ORDINALITY AS k(key, n) ORDER BY n"

    /// The lock key of a record key: FNV-1a (64-bit) over a kind tag and the id's UTF-8 bytes.
    static func hash(_ key: LandingRecord.Key) -> Int64 {
        switch key {
        case .item(let id): fnv1a(tag: "item", id)
        case .session(let id): fnv1a(tag: "session", id)
        }
    }

    /// The lock key of a webhook event id (so one event delivered twice at once is applied once).
    static func hash(webhookEventId eventId: String) -> Int64 {
        fnv1a(tag: "webhook", eventId)
    }

    // why: a hash fixed here, not Swift's `Hasher` (seeded per process) or a server function, so
    // every instance and every build computes the same key for the same record.
    private static func fnv1a(tag: String, _ id: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in tag.utf8 + [0] + id.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return Int64(bitPattern: hash)
    }
}
