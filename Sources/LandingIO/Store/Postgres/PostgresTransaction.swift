import LandingCore

/// The rows of one `PostgresStore.commit`, inside its READ COMMITTED transaction after the
/// advisory locks are taken; the rules are `StoreTransaction.apply`, shared with `SQLiteStore` and
/// `MemoryStore`.
///
/// Round trips are per batch, not per write: `prefetchStatements` read every record the batch
/// names, `FOR UPDATE`, with one statement per table (`PostgresTable.selectManyForUpdate`), and
/// `prefetched` caches the answers for `read` (a named key with no row is known absent); a record
/// reached only through another (a webhook's item → its session) is read on demand and cached too.
/// `write` only updates the cache, so a second write to a record in the batch sees the first;
/// `flushStatements` (or `flush`, before a DELETE) then writes every changed record with at most one
/// multi-row statement per table and kind (`PostgresRowBatch`): a plain INSERT for records that had
/// no row, an upsert for the others. `PostgresStore.commit` sends them in its two pipelines.
struct PostgresTransaction: StoreTransaction {
    let db: PGConnection
    private let rows = Rows()

    init(db: PGConnection) {
        self.db = db
    }

    /// What this transaction knows of one record key.
    private struct Entry {
        /// The record as this transaction sees it (nil: no record).
        var record: LandingRecord?
        /// A row exists in the database (as read, or as written by an earlier `flush`).
        var stored: Bool
        /// `record` differs from the row and awaits `flush`.
        var dirty: Bool
    }

    /// The cache; a class because `read` is not mutating.
    private final class Rows {
        var entries: [LandingRecord.Key: Entry] = [:]
        /// The keys of dirty entries, in first-written order (each once).
        var dirtyOrder: [LandingRecord.Key] = []
    }

    /// The statements that read, `FOR UPDATE`, every record in `keys`' `itemIds` and `sessionIds`
    /// (one per table that has ids); their results go to `prefetched(_:results:)`.
    static func prefetchStatements(_ keys: PostgresLockKeys) -> [PGStatement] {
        var statements: [PGStatement] = []
        for (table, ids) in [(PostgresTable.items, keys.itemIds), (PostgresTable.sessions, keys.sessionIds)] where !ids.isEmpty {
            var array = PostgresArrayLiteral()
            for id in ids { array.append(text: id) }
            statements.append(PGStatement(table.selectManyForUpdate, [array.text]))
        }
        return statements
    }

    /// Caches the answers of `prefetchStatements(keys)` (in its order); ids without a row are
    /// cached as absent.
    func prefetched(_ keys: PostgresLockKeys, results: some Collection<PGResult>) throws(StoreError) {
        var results = results.makeIterator()
        for (table, ids, key) in [
            (PostgresTable.items, keys.itemIds, LandingRecord.Key.item), (PostgresTable.sessions, keys.sessionIds, LandingRecord.Key.session),
        ] where !ids.isEmpty {
            guard let result = results.next() else {
                throw StoreError(.corrupt, "the prefetch of \(table.name) returned no result")
            }
            for id in ids { rows.entries[key(id)] = Entry(record: nil, stored: false, dirty: false) }
            for row in 0..<result.rowCount {
                let record = try table.record(from: result, row: row)
                rows.entries[record.key] = Entry(record: record, stored: true, dirty: false)
            }
        }
    }

    /// Reads with `FOR UPDATE`: the row stays locked until the transaction ends.
    // why: the advisory locks already serialize writers of the keys a commit names; the row lock
    // also covers a record reached only through another (the session bound to a webhook's item,
    // whose key is not known before the item is read, so it cannot join the sorted advisory set)
    // and holds off `purge`, which takes no advisory locks, until the commit ends. Only such
    // reached-through rows are locked out of the global order: two batches that each reach the
    // other's session could wait on each other, which the server detects (40P01) and reports as a
    // `.conflict`, safe to retry.
    func read(_ key: LandingRecord.Key) throws(StoreError) -> LandingRecord? {
        if let entry = rows.entries[key] { return entry.record }
        let (table, id) = PostgresTable.of(key)
        let record = try table.select(id, on: db, forUpdate: true)
        rows.entries[key] = Entry(record: record, stored: record != nil, dirty: false)
        return record
    }

    /// Caches `record` for `flush`.
    func write(_ record: LandingRecord) throws(StoreError) {
        // why: a key this transaction never read is new exactly when its version is 1 (the
        // protocol's contract), the rule the row-at-a-time writes used.
        let stored = rows.entries[record.key]?.stored ?? (record.version != 1)
        if rows.entries[record.key]?.dirty != true { rows.dirtyOrder.append(record.key) }
        rows.entries[record.key] = Entry(record: record, stored: stored, dirty: true)
    }

    /// Writes every record changed since the last flush: per table, one plain multi-row INSERT
    /// for the records that had no row and one multi-row upsert for the others.
    // why: the plain INSERT keeps the primary key refusing a second first write (23505 →
    // `.conflict`) should any writer get past the advisory lock, and skips the upsert's
    // speculative insertion on the common write (a new item per callback).
    func flush() throws(StoreError) {
        for statement in try flushStatements() { try db.executeCached(statement.sql, statement.parameters) }
    }

    /// The statements `flush` runs, for a caller that sends them itself (before COMMIT, in this
    /// transaction); the records count as written from here on.
    func flushStatements() throws(StoreError) -> [PGStatement] {
        guard !rows.dirtyOrder.isEmpty else { return [] }
        // New items, existing items, new sessions, existing sessions; made on first use.
        var batches: [PostgresRowBatch?] = [nil, nil, nil, nil]
        for key in rows.dirtyOrder {
            guard let entry = rows.entries[key], entry.dirty, let record = entry.record else { continue }
            let index = (key.isItem ? 0 : 2) + (entry.stored ? 1 : 0)
            if batches[index] == nil { batches[index] = PostgresRowBatch() }
            try batches[index]!.add(record)
            rows.entries[key] = Entry(record: record, stored: true, dirty: false)
        }
        rows.dirtyOrder.removeAll()
        var statements: [PGStatement] = []
        for (index, batch) in batches.enumerated() {
            guard let batch else { continue }
            let table = index < 2 ? PostgresTable.items : PostgresTable.sessions
            statements.append(PGStatement(index % 2 == 0 ? table.insertMany : table.upsertMany, batch.parameters))
        }
        return statements
    }

    func delete(_ key: LandingRecord.Key) throws(StoreError) -> LandingRecord? {
        // why: the DELETE must see this batch's earlier writes of the record (it returns them).
        try flush()
        let (table, id) = PostgresTable.of(key)
        let result = try db.executeCached(table.delete, [id])
        rows.entries[key] = Entry(record: nil, stored: false, dirty: false)
        guard result.rowCount > 0 else { return nil }
        return try table.record(from: result, row: 0)
    }

    func appliedWebhookItem(eventId: String) throws(StoreError) -> String? {
        let result = try db.executeCached(PostgresWebhookSQL.select, [eventId])
        guard result.rowCount > 0 else { return nil }
        return result.text(row: 0, column: 0)
    }

    func rememberWebhook(_ event: WebhookEvent) throws(StoreError) {
        let result = try db.executeCached(
            PostgresWebhookSQL.insert, [event.eventId, event.itemId, event.event, String(event.receivedAt)])
        // why: the advisory lock on the event id makes this unreachable between instances of this
        // build; should another writer have remembered the id meanwhile, its effect was applied
        // twice in this transaction's view, so the whole commit is refused and a retry sees it.
        guard result.rowCount == 1 else {
            throw StoreError(.conflict, "webhook event id was remembered by a concurrent transaction")
        }
    }
}

extension LandingRecord.Key {
    fileprivate var isItem: Bool {
        if case .item = self { true } else { false }
    }
}
