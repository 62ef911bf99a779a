import LandingCore

/// The rows of one `PostgresStore.commit`, inside its READ COMMITTED transaction after the
/// advisory locks are taken; the rules are `StoreTransaction.apply`, shared with `SQLiteStore` and
/// `MemoryStore`.
struct PostgresTransaction: StoreTransaction {
    let db: PGConnection

    /// Reads with `FOR UPDATE`: the row stays locked until the transaction ends.
    // why: the advisory locks already serialize writers of the keys a commit names; the row lock
    // also covers a record reached only through another (the session bound to a webhook's item,
    // whose key is not known before the item is read, so it cannot join the sorted advisory set)
    // and holds off `purge`, which takes no advisory locks, until the commit ends. Only such
    // reached-through rows are locked out of the global order: two batches that each reach the
    // other's session could wait on each other, which the server detects (40P01) and reports as a
    // `.conflict`, safe to retry.
    func read(_ key: LandingRecord.Key) throws(StoreError) -> LandingRecord? {
        let (table, id) = PostgresTable.of(key)
        return try table.select(id, on: db, forUpdate: true)
    }

    /// A plain INSERT for a new record (version 1: the locked read found no row), an upsert
    /// (`INSERT … ON CONFLICT (key) DO UPDATE`) otherwise.
    // why: a plain INSERT lets the primary key refuse a second first write (23505 → `.conflict`)
    // should any writer get past the advisory lock, and skips the upsert's speculative insertion
    // on the common write (a new item per callback).
    func write(_ record: LandingRecord) throws(StoreError) {
        let (table, _) = PostgresTable.of(record.key)
        let sql = record.version == 1 ? table.insert : table.upsert
        try db.executeCached(sql, try PostgresTable.parameters(of: record))
    }

    func delete(_ key: LandingRecord.Key) throws(StoreError) -> LandingRecord? {
        let (table, id) = PostgresTable.of(key)
        let result = try db.executeCached(table.delete, [id])
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
