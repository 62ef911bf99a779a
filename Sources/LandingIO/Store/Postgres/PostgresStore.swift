import LandingCore
import Synchronization

/// `--store postgres:…`: the landing records in PostgreSQL (schema `PostgresSchema`), over one
/// `PGConnection`. Same semantics as `SQLiteStore` and `MemoryStore` (the shared conformance tests
/// run against all three): the rules are `StoreTransaction.apply`; this type only supplies row access
/// (`PostgresTransaction`) and the isolation that `LandingStore`'s contract asks for.
///
/// Several instances (processes, hosts) may share one database: each `commit` is one READ
/// COMMITTED transaction that first takes a transaction-level advisory lock per record key it will
/// touch (`PostgresLockKeys`), in ascending order, then reads with `SELECT … FOR UPDATE`, applies the
/// rules and writes with upserts. Meant to be driven from one store thread, but safe from any: the
/// connection lives behind a `Mutex`. Blocking: never call it from an event loop.
public final class PostgresStore: LandingStore {
    private let connection: Mutex<PGConnection>

    /// Uses `connection` (whose `search_path` names the schema to use) and brings its schema up to
    /// date (`PostgresSchema.migrate`). Throws `.corrupt` for a newer schema than this build knows.
    init(connection: sending PGConnection) throws(StoreError) {
        try PostgresSchema.migrate(connection)
        self.connection = Mutex(connection)
    }

    /// Connects to `location` and migrates its schema.
    public convenience init(location: PostgresLocation) throws(StoreError) {
        try self.init(connection: PGConnection(location: location))
    }

    // MARK: LandingStore

    /// Applies every write in one READ COMMITTED transaction; a failure rolls them all back.
    ///
    /// Before the first read, the transaction takes `pg_advisory_xact_lock` on a 64-bit hash of
    /// every key the writes name (items, sessions and webhook event ids), sorted ascending and
    /// deduplicated (`PostgresLockKeys`).
    // why: `SELECT … FOR UPDATE` cannot lock a row that does not exist yet, and READ COMMITTED
    // lets two first callbacks for one new item both read "absent" and both win. An advisory lock
    // on the key serializes every writer of that key, present or not, across instances sharing the
    // database — the outcome `BEGIN IMMEDIATE` gives SQLite, per key instead of per file. Taking
    // them all up front in one global order (sorted hashes) means two commits never wait on each
    // other's locks in a cycle; the `xact` form is released by COMMIT/ROLLBACK and by the server
    // when the connection dies, so a crash never leaves one held. Serializable isolation would
    // give the same safety but turns every such race into a retried `.conflict`.
    public func commit(_ writes: [StoreWrite]) throws(StoreError) -> StoreCommit {
        if writes.isEmpty { return StoreCommit(results: [], changes: []) }
        if writes.allSatisfy(Self.isIgnoredWebhook) {
            return StoreCommit(results: Array(repeating: .webhook(.ignored), count: writes.count), changes: [])
        }
        let locks = PostgresLockKeys(writes)
        return try connection.withLock { (db) throws(StoreError) -> StoreCommit in
            try db.transaction(.readCommitted) { () throws(StoreError) -> StoreCommit in
                try locks.acquire(on: db)
                var transaction = PostgresTransaction(db: db)
                return try transaction.apply(writes)
            }
        }
    }

    private static func isIgnoredWebhook(_ write: StoreWrite) -> Bool {
        if case .webhook(let event) = write { return WebhookRules.effect(of: event) == nil }
        return false
    }

    public func session(id: String) throws(StoreError) -> LandingRecord? {
        try connection.withLock { (db) throws(StoreError) -> LandingRecord? in
            try PostgresTable.sessions.select(id, on: db, forUpdate: false)
        }
    }

    public func item(id: String) throws(StoreError) -> LandingRecord? {
        try connection.withLock { (db) throws(StoreError) -> LandingRecord? in
            try PostgresTable.items.select(id, on: db, forUpdate: false)
        }
    }

    public func purge(updatedBefore cutoff: Int64) throws(StoreError) -> Int {
        let cutoff = String(cutoff)
        return try connection.withLock { (db) throws(StoreError) -> Int in
            try db.transaction(.readCommitted) { () throws(StoreError) -> Int in
                var removed = 0
                for table in [PostgresTable.items, PostgresTable.sessions] {
                    removed += try db.executeCached(table.purge, [cutoff]).affectedRows ?? 0
                }
                try db.executeCached(PostgresWebhookSQL.purge, [cutoff])
                return removed
            }
        }
    }

    /// Deletes at most `limit` rows in one short transaction, oldest first through the
    /// `updated_at`/`received_at` indices.
    // why: PostgreSQL has no `DELETE … LIMIT`; a key subquery with ORDER BY/LIMIT does the same.
    // Rows a commit holds `FOR UPDATE` are waited for, not skipped, so a step that deletes fewer
    // than `limit` rows really leaves nothing older than the cutoff.
    public func purge(updatedBefore cutoff: Int64, limit: Int) throws(StoreError) -> PurgeBatch {
        let limit = max(1, limit)
        let cutoff = String(cutoff)
        return try connection.withLock { (db) throws(StoreError) -> PurgeBatch in
            try db.transaction(.readCommitted) { () throws(StoreError) -> PurgeBatch in
                var rows = 0
                for table in [PostgresTable.items, PostgresTable.sessions] where rows < limit {
                    rows += try db.executeCached(table.purgeBatch, [cutoff, String(limit - rows)]).affectedRows ?? 0
                }
                let records = rows
                if rows < limit {
                    rows += try db.executeCached(PostgresWebhookSQL.purgeBatch, [cutoff, String(limit - rows)]).affectedRows ?? 0
                }
                return PurgeBatch(records: records, rows: rows, isComplete: rows < limit)
            }
        }
    }
}
