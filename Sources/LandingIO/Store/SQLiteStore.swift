import Glibc
import LandingCore
import Synchronization

/// `--store sqlite:PATH`: the landing records in an embedded SQLite database (WAL,
/// `synchronous=FULL`), so every write is durable when its call returns. Same semantics as
/// `MemoryStore` (the shared conformance tests run against both).
///
/// Meant to be driven from one store thread (`StoreWorker`), but safe from any: the one connection
/// lives behind a `Mutex`. Blocking: never call it from an event loop.
public final class SQLiteStore: LandingStore {
    /// The database file.
    public let path: String
    private let connection: Mutex<SQLiteConnection>

    /// Opens (creating if missing, mode 0640) the database at `path` and brings its schema up to
    /// date. Throws when the file is not a database, cannot be opened, or has a newer schema than
    /// this build knows. The parent directory must exist (`StoreFactory` creates it).
    public convenience init(path: String) throws(StoreError) {
        try self.init(path: path, migrations: Self.migrations, busyTimeoutMilliseconds: 5_000)
    }

    /// The designated initializer, with the schema steps and lock wait injectable for tests.
    init(path: String, migrations: [SQLiteMigration], busyTimeoutMilliseconds: Int32) throws(StoreError) {
        self.path = path
        try Self.createFileIfMissing(path)
        let connection = try SQLiteConnection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        try Self.prepare(connection, migrations: migrations)
        self.connection = Mutex(connection)
    }

    // MARK: LandingStore

    /// Applies every write in one transaction (one fsync for the lot); a failure rolls them all
    /// back. `BEGIN IMMEDIATE` takes the write lock before the first read, so the read → rules →
    /// write of each write is atomic against every other writer of the file, other processes
    /// included. When every write is a webhook the rules ignore, no transaction is begun at all.
    public func commit(_ writes: [StoreWrite]) throws(StoreError) -> StoreCommit {
        if writes.isEmpty { return StoreCommit(results: [], changes: []) }
        if writes.allSatisfy(Self.isIgnoredWebhook) {
            return StoreCommit(results: Array(repeating: .webhook(.ignored), count: writes.count), changes: [])
        }
        return try connection.withLock { (db) throws(StoreError) -> StoreCommit in
            try db.transaction { () throws(StoreError) -> StoreCommit in
                var transaction = SQLiteTransaction(db: db)
                return try transaction.apply(writes)
            }
        }
    }

    private static func isIgnoredWebhook(_ write: StoreWrite) -> Bool {
        if case .webhook(let event) = write { return WebhookRules.effect(of: event) == nil }
        return false
    }

    public func session(id: String) throws(StoreError) -> LandingRecord? {
        try connection.withLock { (db) throws(StoreError) -> LandingRecord? in try SQLiteTransaction(db: db).read(.session(id)) }
    }

    public func item(id: String) throws(StoreError) -> LandingRecord? {
        try connection.withLock { (db) throws(StoreError) -> LandingRecord? in try SQLiteTransaction(db: db).read(.item(id)) }
    }

    public func purge(updatedBefore cutoff: Int64) throws(StoreError) -> Int {
        try connection.withLock { (db) throws(StoreError) -> Int in
            try db.transaction { () throws(StoreError) -> Int in
                var removed = 0
                for table in [SQLiteTable.items, SQLiteTable.sessions] {
                    try db.run(table.purge) { (statement) throws(StoreError) in try statement.bind(cutoff, at: 0) }
                    removed += db.changes
                }
                try db.run(WebhookSQL.purge) { (statement) throws(StoreError) in try statement.bind(cutoff, at: 0) }
                return removed
            }
        }
    }

    /// Deletes at most `limit` rows in one short transaction, oldest-indexed first through the
    /// `updated_at`/`received_at` indices.
    // why: `DELETE … LIMIT` needs SQLite built with SQLITE_ENABLE_UPDATE_DELETE_LIMIT, which the
    // system library is not; a key subquery with LIMIT does the same with any build.
    public func purge(updatedBefore cutoff: Int64, limit: Int) throws(StoreError) -> PurgeBatch {
        let limit = max(1, limit)
        return try connection.withLock { (db) throws(StoreError) -> PurgeBatch in
            try db.transaction { () throws(StoreError) -> PurgeBatch in
                var rows = 0
                for table in [SQLiteTable.items, SQLiteTable.sessions] where rows < limit {
                    try db.run(table.purgeBatch) { (statement) throws(StoreError) in
                        try statement.bind(cutoff, at: 0)
                        try statement.bind(limit - rows, at: 1)
                    }
                    rows += db.changes
                }
                let records = rows
                if rows < limit {
                    try db.run(WebhookSQL.purgeBatch) { (statement) throws(StoreError) in
                        try statement.bind(cutoff, at: 0)
                        try statement.bind(limit - rows, at: 1)
                    }
                    rows += db.changes
                }
                return PurgeBatch(records: records, rows: rows, isComplete: rows < limit)
            }
        }
    }

    // MARK: Test seams

    /// `PRAGMA name` on the store's own connection (tests check journal mode and sync level).
    func pragma(_ name: String) throws(StoreError) -> String? {
        try connection.withLock { (db) throws(StoreError) -> String? in try db.pragma(name) }
    }

    /// Creates the database file with mode 0640 (before umask) when it does not exist yet, so the
    /// records are not world-readable; SQLite gives its -wal and -shm files the same mode.
    private static func createFileIfMissing(_ path: String) throws(StoreError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        if fd >= 0 {
            close(fd)
            return
        }
        let err = errno
        guard err == EEXIST else {
            throw StoreError(.unavailable, "open(\(path)) failed: \(String(cString: strerror(err))) (errno \(err))")
        }
    }
}

/// The rows of one `SQLiteStore.commit`, inside its `BEGIN IMMEDIATE` transaction; the rules are
/// `StoreTransaction.apply`, shared with `MemoryStore`.
struct SQLiteTransaction: StoreTransaction {
    let db: SQLiteConnection

    func read(_ key: LandingRecord.Key) throws(StoreError) -> LandingRecord? {
        let (table, id) = SQLiteTable.of(key)
        return try db.withStatement(table.select, bindsEveryParameter: true) { (statement) throws(StoreError) -> LandingRecord? in
            try statement.bind(id, at: 0)
            guard try statement.step() else { return nil }
            return try table.record(from: statement)
        }
    }

    /// A plain INSERT for a record at version 1 (this transaction read no row under its key), an
    /// UPDATE of the row otherwise (no upsert: its conflict handling is never needed); either
    /// statement fails rather than overwrite or lose a row should the read have been wrong.
    // why: an INSERT is the cheapest program for the common write (a new item per callback); the
    // UPDATE checks it changed one row (a missing row would otherwise drop the write silently).
    func write(_ record: LandingRecord) throws(StoreError) {
        let table = SQLiteTable.of(record.key).table
        let isNew = record.version == 1
        // `bind` sets every column, NULLs included (`RecordColumns.write`).
        try db.run(isNew ? table.insert : table.update, bindsEveryParameter: true) { (statement) throws(StoreError) in
            try SQLiteTable.bind(record, to: statement)
        }
        guard isNew || db.changes == 1 else {
            throw StoreError(.conflict, "the \(table.name) row to update was not there (written by a concurrent transaction?)")
        }
    }

    func delete(_ key: LandingRecord.Key) throws(StoreError) -> LandingRecord? {
        guard let old = try read(key) else { return nil }
        let (table, id) = SQLiteTable.of(key)
        try db.run(table.delete) { (statement) throws(StoreError) in try statement.bind(id, at: 0) }
        return old
    }

    func appliedWebhookItem(eventId: String) throws(StoreError) -> String? {
        try db.withStatement(WebhookSQL.select) { (statement) throws(StoreError) -> String? in
            try statement.bind(eventId, at: 0)
            guard try statement.step() else { return nil }
            return statement.string(at: 0)
        }
    }

    func rememberWebhook(_ event: WebhookEvent) throws(StoreError) {
        try db.run(WebhookSQL.insert) { (statement) throws(StoreError) in
            try statement.bind(event.eventId, at: 0)
            try statement.bind(event.itemId, at: 1)
            try statement.bind(event.event, at: 2)
            try statement.bind(event.receivedAt, at: 3)
        }
    }
}

/// The statements on `webhook_events` (schema step 2).
enum WebhookSQL {
    static let select = "SELECT item_id FROM webhook_events WHERE event_id = ?1"
    static let insert = "INSERT INTO webhook_events (event_id, item_id, event, received_at) VALUES (?1, ?2, ?3, ?4)"
    static let purge = "DELETE FROM webhook_events WHERE received_at < ?1"
    /// At most ?2 of the rows `purge` deletes.
    static let purgeBatch = """
        DELETE FROM webhook_events WHERE event_id IN
            (SELECT event_id FROM webhook_events WHERE received_at < ?1 LIMIT ?2)
        """
}
