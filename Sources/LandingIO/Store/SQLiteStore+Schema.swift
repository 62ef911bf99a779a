import Foundation
import LandingCore

/// One schema step: applied once, in its own transaction, to a database whose
/// `PRAGMA user_version` is below `version`, which it then sets.
struct SQLiteMigration: Sendable {
    var version: Int32
    var sql: String
}

extension SQLiteStore {
    /// The schema, oldest step first. Append new steps; never edit one that has shipped: each is
    /// literal SQL (no shared column list spliced in), so adding a column later cannot change what
    /// an old step does, and `SQLiteSchemaTests` fails when a shipped step's text changes.
    ///
    /// Both tables have every `LandingRecord` field, so one row mapping serves both. Times are
    /// INTEGER milliseconds since the Unix epoch; raw parameters are a JSON array of
    /// `{"name","value"}`; booleans are 0/1. No foreign keys: an item outlives the session it
    /// arrived through (sessions are deleted on their own), so `session_id`/`item_id` are plain
    /// references. `updated_at` is indexed for `purge`.
    static let migrations: [SQLiteMigration] = [
        SQLiteMigration(
            version: 1,
            sql: """
                CREATE TABLE items (
                    item_id TEXT PRIMARY KEY NOT NULL,
                    session_id TEXT,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed', 'expired')),
                    confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
                    error_code TEXT,
                    error_description TEXT,
                    hits INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    completed_at INTEGER,
                    expires_at INTEGER,
                    raw_parameters TEXT NOT NULL DEFAULT '[]',
                    dropped_parameters INTEGER NOT NULL DEFAULT 0,
                    client_user_id TEXT,
                    return_url TEXT,
                    is_test INTEGER NOT NULL DEFAULT 0 CHECK (is_test IN (0, 1))
                ) STRICT;
                CREATE INDEX items_updated_at ON items (updated_at);
                CREATE TABLE sessions (
                    session_id TEXT PRIMARY KEY NOT NULL,
                    item_id TEXT,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed', 'expired')),
                    confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
                    error_code TEXT,
                    error_description TEXT,
                    hits INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    completed_at INTEGER,
                    expires_at INTEGER,
                    raw_parameters TEXT NOT NULL DEFAULT '[]',
                    dropped_parameters INTEGER NOT NULL DEFAULT 0,
                    client_user_id TEXT,
                    return_url TEXT,
                    is_test INTEGER NOT NULL DEFAULT 0 CHECK (is_test IN (0, 1))
                ) STRICT;
                CREATE INDEX sessions_updated_at ON sessions (updated_at);
                """),
        // Webhook event ids already applied, for dedupe (Pluggy retries deliveries): the item each
        // named (so a replay answers with that item's record) and its event name, for forensics.
        // `received_at` is indexed for `purge`, which bounds how long a replay is recognized.
        SQLiteMigration(
            version: 2,
            sql: """
                CREATE TABLE webhook_events (
                    event_id TEXT PRIMARY KEY NOT NULL,
                    item_id TEXT NOT NULL,
                    event TEXT NOT NULL,
                    received_at INTEGER NOT NULL
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX webhook_events_received_at ON webhook_events (received_at);
                """),
        // Every record gets a version, incremented by each write (long-poll ETags and change
        // notifications carry it); rows written before this step start at 1.
        SQLiteMigration(
            version: 3,
            sql: """
                ALTER TABLE items ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
                ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
                """),
        // Where a confirmation came from (a webhook or Pluggy's API), the institution's name and
        // Pluggy's execution status when known, and a session's chosen page language.
        SQLiteMigration(
            version: 4,
            sql: """
                ALTER TABLE items ADD COLUMN confirmed_by TEXT CHECK (confirmed_by IN ('webhook', 'api'));
                ALTER TABLE items ADD COLUMN connector_name TEXT;
                ALTER TABLE items ADD COLUMN execution_status TEXT;
                ALTER TABLE items ADD COLUMN language TEXT;
                ALTER TABLE sessions ADD COLUMN confirmed_by TEXT CHECK (confirmed_by IN ('webhook', 'api'));
                ALTER TABLE sessions ADD COLUMN connector_name TEXT;
                ALTER TABLE sessions ADD COLUMN execution_status TEXT;
                ALTER TABLE sessions ADD COLUMN language TEXT;
                UPDATE items SET confirmed_by = 'webhook' WHERE confirmed = 1;
                UPDATE sessions SET confirmed_by = 'webhook' WHERE confirmed = 1;
                """),
        // The same two tables, rebuilt (SQLite cannot alter a CHECK) with the status check spelled
        // as ORs: a CHECK `IN` list of more than two values builds an ephemeral index on every
        // INSERT or UPDATE of a row, about half the cost of writing it. Same columns, same order,
        // same constraints; the rows are copied once, in this step's transaction.
        SQLiteMigration(
            version: 5,
            sql: """
                CREATE TABLE items_v5 (
                    item_id TEXT PRIMARY KEY NOT NULL,
                    session_id TEXT,
                    status TEXT NOT NULL CHECK (status = 'pending' OR status = 'completed' OR status = 'failed' OR status = 'expired'),
                    confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
                    error_code TEXT,
                    error_description TEXT,
                    hits INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    completed_at INTEGER,
                    expires_at INTEGER,
                    raw_parameters TEXT NOT NULL DEFAULT '[]',
                    dropped_parameters INTEGER NOT NULL DEFAULT 0,
                    client_user_id TEXT,
                    return_url TEXT,
                    is_test INTEGER NOT NULL DEFAULT 0 CHECK (is_test IN (0, 1)),
                    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
                    confirmed_by TEXT CHECK (confirmed_by IN ('webhook', 'api')),
                    connector_name TEXT,
                    execution_status TEXT,
                    language TEXT
                ) STRICT;
                INSERT INTO items_v5 SELECT item_id, session_id, status, confirmed, error_code, error_description, hits,
                    created_at, updated_at, completed_at, expires_at, raw_parameters, dropped_parameters, client_user_id,
                    return_url, is_test, version, confirmed_by, connector_name, execution_status, language FROM items;
                DROP TABLE items;
                ALTER TABLE items_v5 RENAME TO items;
                CREATE INDEX items_updated_at ON items (updated_at);
                CREATE TABLE sessions_v5 (
                    session_id TEXT PRIMARY KEY NOT NULL,
                    item_id TEXT,
                    status TEXT NOT NULL CHECK (status = 'pending' OR status = 'completed' OR status = 'failed' OR status = 'expired'),
                    confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
                    error_code TEXT,
                    error_description TEXT,
                    hits INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    completed_at INTEGER,
                    expires_at INTEGER,
                    raw_parameters TEXT NOT NULL DEFAULT '[]',
                    dropped_parameters INTEGER NOT NULL DEFAULT 0,
                    client_user_id TEXT,
                    return_url TEXT,
                    is_test INTEGER NOT NULL DEFAULT 0 CHECK (is_test IN (0, 1)),
                    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
                    confirmed_by TEXT CHECK (confirmed_by IN ('webhook', 'api')),
                    connector_name TEXT,
                    execution_status TEXT,
                    language TEXT
                ) STRICT;
                INSERT INTO sessions_v5 SELECT session_id, item_id, status, confirmed, error_code, error_description, hits,
                    created_at, updated_at, completed_at, expires_at, raw_parameters, dropped_parameters, client_user_id,
                    return_url, is_test, version, confirmed_by, connector_name, execution_status, language FROM sessions;
                DROP TABLE sessions;
                ALTER TABLE sessions_v5 RENAME TO sessions;
                CREATE INDEX sessions_updated_at ON sessions (updated_at);
                """),
    ]

    /// Readies a freshly opened connection: refuses a schema newer than `migrations` knows (before
    /// writing anything), switches to WAL with `synchronous=FULL`, then applies the missing steps.
    static func prepare(_ connection: SQLiteConnection, migrations: [SQLiteMigration]) throws(StoreError) {
        for (index, migration) in migrations.enumerated() {
            precondition(migration.version == Int32(index + 1), "migrations must be numbered 1, 2, 3... in order")
        }
        let known = Int32(migrations.count)
        // why: first a read (which also rejects a file that is not a database), so a newer file is
        // refused before even the journal-mode switch touches its header.
        let found = try userVersion(connection)
        guard found <= known else {
            throw StoreError(.corrupt, "database schema version \(found) is newer than this build supports (\(known)); refusing to open it")
        }
        // why: WAL lets readers run beside the writer and makes a commit one append + fsync to the
        // log. FULL syncs the WAL on every commit, so a recorded callback survives power loss
        // before its page is sent (NORMAL could lose the last commits).
        let mode = try connection.pragma("journal_mode=WAL")
        guard mode?.lowercased() == "wal" else {
            throw StoreError(.unavailable, "PRAGMA journal_mode=WAL failed: the database stayed in \(mode ?? "an unknown") mode")
        }
        try connection.execute("PRAGMA synchronous=FULL")
        for migration in migrations where migration.version > found {
            try connection.transaction { () throws(StoreError) in
                // why: re-read under the write lock; another process may have migrated meanwhile.
                guard try userVersion(connection) < migration.version else { return }
                try connection.execute(migration.sql)
                try connection.execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }

    /// `PRAGMA user_version`: the schema version stored in the database header (0 for a new file).
    static func userVersion(_ connection: SQLiteConnection) throws(StoreError) -> Int32 {
        guard let text = try connection.pragma("user_version"), let version = Int32(text) else {
            throw StoreError(.corrupt, "PRAGMA user_version returned no version")
        }
        return version
    }
}

/// One of the two record tables, with its SQLite statements. The column list and the mapping to
/// `LandingRecord` are `RecordColumns`', shared with the PostgreSQL store.
// why: a class, so handing a table around (`of(_:)`, twice per callback) retains one object, not
// its eight strings.
final class SQLiteTable: Sendable {
    let name: String
    let keyColumn: String
    let select: String
    let insert: String
    /// Rewrites every other column of the row with the record's key (the parameters are `insert`'s).
    let update: String
    let delete: String
    let purge: String
    /// At most ?2 of the rows `purge` deletes (one step of a batched purge).
    let purgeBatch: String

    static let items = SQLiteTable(.items)
    static let sessions = SQLiteTable(.sessions)
    private let table: RecordColumns.Table

    private init(_ table: RecordColumns.Table) {
        self.table = table
        let name = table.rawValue
        let keyColumn = table.keyColumn
        self.name = name
        self.keyColumn = keyColumn
        let columns = RecordColumns.names
        let keyIndex = columns.firstIndex(of: keyColumn)!
        let list = columns.joined(separator: ", ")
        let placeholders = columns.indices.map { "?\($0 + 1)" }.joined(separator: ", ")
        select = "SELECT \(list) FROM \(name) WHERE \(keyColumn) = ?1"
        insert = "INSERT INTO \(name) (\(list)) VALUES (\(placeholders))"
        let assignments = columns.enumerated().filter { $0.element != keyColumn }.map { "\($0.element) = ?\($0.offset + 1)" }
        update = "UPDATE \(name) SET \(assignments.joined(separator: ", ")) WHERE \(keyColumn) = ?\(keyIndex + 1)"
        delete = "DELETE FROM \(name) WHERE \(keyColumn) = ?1"
        purge = "DELETE FROM \(name) WHERE updated_at < ?1"
        purgeBatch =
            "DELETE FROM \(name) WHERE \(keyColumn) IN (SELECT \(keyColumn) FROM \(name) WHERE updated_at < ?1 LIMIT ?2)"
    }

    /// The table a record key lives in.
    static func of(_ key: LandingRecord.Key) -> (table: SQLiteTable, id: String) {
        let (table, id) = RecordColumns.Table.of(key)
        return (table == .items ? items : sessions, id)
    }

    // MARK: Row mapping

    /// Binds every column of `record` to an `insert`/`update` statement.
    static func bind(_ record: LandingRecord, to statement: SQLiteStatement) throws(StoreError) {
        var row = SQLiteRowWriter(statement: statement)
        try RecordColumns.write(record, to: &row)
    }

    /// The record in the current row of a `select` statement on this table.
    func record(from row: SQLiteStatement) throws(StoreError) -> LandingRecord {
        try RecordColumns.record(table: table, from: SQLiteRowReader(statement: row))
    }
}

/// The current row of a SQLite statement as a `RecordRowReader` (booleans are stored as 0/1).
struct SQLiteRowReader: RecordRowReader {
    let statement: SQLiteStatement
    func text(_ column: Int) -> String? { statement.string(at: column) }
    func integer(_ column: Int) throws(StoreError) -> Int64? { statement.optionalInt64(at: column) }
    func boolean(_ column: Int) throws(StoreError) -> Bool? { statement.optionalInt64(at: column).map { $0 != 0 } }
}

/// The parameters of a SQLite `insert`/`update` statement as a `RecordRowWriter` (booleans as 0/1).
struct SQLiteRowWriter: RecordRowWriter {
    let statement: SQLiteStatement
    func text(_ value: String?, at column: Int) throws(StoreError) { try statement.bind(value, at: column) }
    func integer(_ value: Int64?, at column: Int) throws(StoreError) { try statement.bind(value, at: column) }
    func boolean(_ value: Bool, at column: Int) throws(StoreError) { try statement.bind(value, at: column) }
}
