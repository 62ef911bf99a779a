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

    public func recordCallback(_ event: CallbackEvent) throws(StoreError) -> CallbackRecordResult {
        try recordCallbacks([event])[0]
    }

    /// Applies every event in one transaction (one fsync for the lot); a failure rolls them all back.
    public func recordCallbacks(_ events: [CallbackEvent]) throws(StoreError) -> [CallbackRecordResult] {
        if events.isEmpty { return [] }
        return try connection.withLock { (db) throws(StoreError) -> [CallbackRecordResult] in
            try db.transaction { () throws(StoreError) -> [CallbackRecordResult] in
                var results: [CallbackRecordResult] = []
                results.reserveCapacity(events.count)
                for event in events { results.append(try Self.apply(event, in: db)) }
                return results
            }
        }
    }

    public func createSession(_ session: NewSession) throws(StoreError) -> LandingRecord {
        try connection.withLock { (db) throws(StoreError) -> LandingRecord in
            try db.transaction { () throws(StoreError) -> LandingRecord in
                guard try Self.read(.session(session.id), in: db) == nil else {
                    throw StoreError("session id already exists")
                }
                let record = LandingRecord(
                    key: .session(session.id), sessionId: session.id, status: .pending, createdAt: session.createdAt,
                    updatedAt: session.createdAt, expiresAt: session.expiresAt, clientUserId: session.clientUserId,
                    returnURL: session.returnURL, isTest: session.isTest)
                try db.run(SQLiteTable.sessions.insert) { (statement) throws(StoreError) in
                    try SQLiteTable.bind(record, to: statement)
                }
                return record
            }
        }
    }

    public func session(id: String) throws(StoreError) -> LandingRecord? {
        try connection.withLock { (db) throws(StoreError) -> LandingRecord? in try Self.read(.session(id), in: db) }
    }

    public func item(id: String) throws(StoreError) -> LandingRecord? {
        try connection.withLock { (db) throws(StoreError) -> LandingRecord? in try Self.read(.item(id), in: db) }
    }

    public func deleteSession(id: String) throws(StoreError) -> Bool {
        try connection.withLock { (db) throws(StoreError) -> Bool in
            try db.run(SQLiteTable.sessions.delete) { (statement) throws(StoreError) in try statement.bind(id, at: 0) }
            return db.changes > 0
        }
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

    public func applyWebhook(_ event: WebhookEvent) throws(StoreError) -> WebhookResult {
        try applyWebhooks([event])[0]
    }

    /// Applies every event in one transaction (one fsync for the lot); a failure rolls them all
    /// back. When every event is ignored, no transaction is begun at all.
    public func applyWebhooks(_ events: [WebhookEvent]) throws(StoreError) -> [WebhookResult] {
        if events.isEmpty { return [] }
        return try connection.withLock { (db) throws(StoreError) -> [WebhookResult] in
            if events.allSatisfy({ WebhookRules.effect(of: $0) == nil }) { return Array(repeating: .ignored, count: events.count) }
            return try db.transaction { () throws(StoreError) -> [WebhookResult] in
                var results: [WebhookResult] = []
                results.reserveCapacity(events.count)
                for event in events { results.append(try Self.apply(event, in: db)) }
                return results
            }
        }
    }

    // MARK: Test seams

    /// `PRAGMA name` on the store's own connection (tests check journal mode and sync level).
    func pragma(_ name: String) throws(StoreError) -> String? {
        try connection.withLock { (db) throws(StoreError) -> String? in try db.pragma(name) }
    }

    // MARK: Callback rules

    /// Reads the rows the event names, applies `CallbackRules` (the same function MemoryStore
    /// uses), and writes what changed, inside the caller's transaction.
    private static func apply(_ event: CallbackEvent, in db: SQLiteConnection) throws(StoreError) -> CallbackRecordResult {
        let session = try event.sessionId.map { (id) throws(StoreError) in try read(.session(id), in: db) } ?? nil
        let item = try event.itemId.map { (id) throws(StoreError) in try read(.item(id), in: db) } ?? nil
        let outcome = CallbackRules.apply(event, session: session, item: item)
        if let session = outcome.session { try write(session, in: db) }
        if let item = outcome.item { try write(item, in: db) }
        return outcome.result
    }

    /// The webhook rules of `LandingStore.applyWebhook`, step for step as in `MemoryStore.apply`,
    /// inside the caller's transaction.
    private static func apply(_ event: WebhookEvent, in db: SQLiteConnection) throws(StoreError) -> WebhookResult {
        guard let effect = WebhookRules.effect(of: event) else { return .ignored }
        let seenItem = try db.withStatement(WebhookSQL.select) { (statement) throws(StoreError) -> String? in
            try statement.bind(event.eventId, at: 0)
            guard try statement.step() else { return nil }
            return statement.string(at: 0)
        }
        if let seenItem { return .duplicate(try read(.item(seenItem), in: db)) }
        let outcome = try WebhookRules.outcome(of: event, effect: effect, item: try read(.item(event.itemId), in: db)) {
            (id) throws(StoreError) -> LandingRecord? in try read(.session(id), in: db)
        }
        if outcome.itemChanged { try write(outcome.item, in: db) }
        if outcome.sessionChanged, let session = outcome.session { try write(session, in: db) }
        try db.run(WebhookSQL.insert) { (statement) throws(StoreError) in
            try statement.bind(event.eventId, at: 0)
            try statement.bind(event.itemId, at: 1)
            try statement.bind(event.event, at: 2)
            try statement.bind(event.receivedAt, at: 3)
        }
        return .applied(outcome.item, sessionRecord: outcome.session)
    }


    // MARK: Rows

    private static func read(_ key: LandingRecord.Key, in db: SQLiteConnection) throws(StoreError) -> LandingRecord? {
        let (table, id) = SQLiteTable.of(key)
        return try db.withStatement(table.select) { (statement) throws(StoreError) -> LandingRecord? in
            try statement.bind(id, at: 0)
            guard try statement.step() else { return nil }
            return try table.record(from: statement)
        }
    }

    private static func write(_ record: LandingRecord, in db: SQLiteConnection) throws(StoreError) {
        try db.run(SQLiteTable.of(record.key).table.upsert) { (statement) throws(StoreError) in
            try SQLiteTable.bind(record, to: statement)
        }
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
            throw StoreError("open(\(path)) failed: \(String(cString: strerror(err))) (errno \(err))")
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
