import CSQLite
import LandingCore

/// Owns one `sqlite3*` connection: opened in `init`, closed in `deinit`, together with the prepared
/// statements it caches. Not thread-safe by itself: it is opened with `SQLITE_OPEN_NOMUTEX` and its
/// owner (`SQLiteStore`) serializes every use behind a `Mutex`.
///
/// Errors name the failing call and carry `sqlite3_errmsg`, never a bound value (SQLite's own
/// messages name constraints and columns, not the values that violated them).
final class SQLiteConnection {
    private let db: OpaquePointer
    /// Statements prepared once and reused (`cached(_:)`), with their SQL text; a dozen at most.
    // why: a list scanned with `==`, not a dictionary: hashing an upsert's ~700 bytes of SQL on
    // every use cost more than the scan (the texts differ early or share their storage).
    private var cache: [SQLiteStatement] = []

    /// Opens (creating if missing) the database file at `path`.
    init(path: String, busyTimeoutMilliseconds: Int32) throws(StoreError) {
        var handle: OpaquePointer?
        // why: NOMUTEX because the owner locks; EXRESCODE so failures report extended codes
        // (SQLITE_CONSTRAINT_PRIMARYKEY rather than SQLITE_CONSTRAINT).
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            // why: sqlite3_open_v2 usually returns a handle even when it fails (it carries the
            // message); it must still be closed.
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(handle)
            throw StoreError(Self.kind(of: rc), "sqlite3_open_v2(\(path)) failed: \(message) (code \(rc))")
        }
        db = handle
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    }

    deinit {
        cache.removeAll()  // why: finalize the statements before the connection closes.
        sqlite3_close_v2(db)
    }

    /// The error for a failed `call` on this connection.
    func error(_ call: String, code: Int32) -> StoreError {
        StoreError(Self.kind(of: code), "\(call) failed: \(String(cString: sqlite3_errmsg(db))) (code \(code))")
    }

    /// What a caller can do about SQLite result `code` (primary or extended): the database is busy,
    /// locked, out of disk or memory, unreadable or unopenable now → `.unavailable` (retry later);
    /// a constraint failed (a writer raced us to a key) → `.conflict`; anything else (a corrupt
    /// file, not a database, a misuse, a schema mismatch) → `.corrupt`.
    static func kind(of code: Int32) -> StoreError.Kind {
        switch code & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOMEM, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_PROTOCOL,
            SQLITE_READONLY, SQLITE_INTERRUPT, SQLITE_NOLFS, SQLITE_AUTH:
            .unavailable
        case SQLITE_CONSTRAINT:
            .conflict
        default:
            .corrupt
        }
    }

    /// Runs one or more statements that bind nothing and return no rows we need (DDL, PRAGMAs).
    func execute(_ sql: String) throws(StoreError) {
        let rc = sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error("sqlite3_exec(\(SQLiteStatement.label(sql)))", code: rc) }
    }

    /// Prepares `sql` (one statement) for this use only.
    func prepare(_ sql: String) throws(StoreError) -> SQLiteStatement {
        try prepare(sql, flags: 0)
    }

    /// The statement for `sql`, prepared on first use and kept for the connection's lifetime.
    func cached(_ sql: String) throws(StoreError) -> SQLiteStatement {
        // why: most texts differ in length, which is compared first (an O(1) count on a native string).
        let length = sql.utf8.count
        for statement in cache where statement.sqlLength == length && statement.sql == sql { return statement }
        let statement = try prepare(sql, flags: UInt32(SQLITE_PREPARE_PERSISTENT))
        cache.append(statement)
        return statement
    }

    private func prepare(_ sql: String, flags: UInt32) throws(StoreError) -> SQLiteStatement {
        var handle: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, flags, &handle, nil)
        guard rc == SQLITE_OK, let handle else {
            throw error("sqlite3_prepare_v3(\(SQLiteStatement.label(sql)))", code: rc)
        }
        return SQLiteStatement(takingOwnership: handle, sql: sql)
    }

    /// Runs `body` with the cached statement for `sql`, then resets it and clears its bindings (also
    /// when `body` throws), so the next use starts clean and no read transaction stays open.
    /// `bindsEveryParameter`: `body` binds each of the statement's parameters before it steps, on
    /// every use, so the bindings need no clearing (the reset still happens).
    // why: clearing the 21 bindings of a record's INSERT cost ~1.1k instructions per callback, for
    // values the next use overwrites before it runs.
    func withStatement<T>(
        _ sql: String, bindsEveryParameter: Bool = false, _ body: (SQLiteStatement) throws(StoreError) -> T
    ) throws(StoreError) -> T {
        let statement = try cached(sql)
        defer { statement.reset(clearingBindings: !bindsEveryParameter) }
        return try body(statement)
    }

    /// Runs a statement that returns no rows, with `bind` setting its parameters
    /// (`bindsEveryParameter`: see `withStatement`).
    func run(
        _ sql: String, bindsEveryParameter: Bool = false, bind: (SQLiteStatement) throws(StoreError) -> Void = { _ in }
    ) throws(StoreError) {
        try withStatement(sql, bindsEveryParameter: bindsEveryParameter) { (statement) throws(StoreError) in
            try bind(statement)
            while try statement.step() {}
        }
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes64(db)) }

    /// Whether no transaction is open.
    var isAutocommit: Bool { sqlite3_get_autocommit(db) != 0 }

    /// Runs `body` in a write transaction: `BEGIN IMMEDIATE` (takes the write lock up front, so a
    /// busy database fails at BEGIN rather than halfway), `COMMIT` on success, `ROLLBACK` when
    /// `body` or the commit throws. With `synchronous=FULL` the commit is durable when this returns.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try run("BEGIN IMMEDIATE")
        do throws(StoreError) {
            let result = try body()
            try run("COMMIT")
            return result
        } catch {
            rollback()
            throw error
        }
    }

    /// Rolls back the open transaction, if any (a failed COMMIT may already have rolled it back).
    private func rollback() {
        guard !isAutocommit else { return }
        // why: nothing better to do if ROLLBACK itself fails; the original error is what the caller needs.
        _ = try? run("ROLLBACK")
    }

    /// The single value a `PRAGMA name` query returns, as text (nil when it returns no row).
    func pragma(_ name: String) throws(StoreError) -> String? {
        let statement = try prepare("PRAGMA \(name)")
        guard try statement.step() else { return nil }
        return statement.string(at: 0)
    }
}

/// Owns one prepared statement (`sqlite3_stmt*`), finalized in `deinit`. Parameters and columns
/// are 0-based here (SQLite binds are 1-based; the conversion happens inside).
final class SQLiteStatement {
    private let handle: OpaquePointer
    let sql: String
    /// `sql.utf8.count`.
    let sqlLength: Int

    init(takingOwnership handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
        self.sqlLength = sql.utf8.count
    }

    deinit { sqlite3_finalize(handle) }

    /// A short name for `sql` in error messages ("INSERT INTO items", "SELECT … FROM sessions",
    /// "BEGIN IMMEDIATE"); never a value, since values are bound, not spliced into the text.
    static func label(_ sql: String) -> String {
        let words = sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "(" || $0 == ";" })
        if words.first?.uppercased() == "SELECT", let from = words.firstIndex(where: { $0.uppercased() == "FROM" }),
            from + 1 < words.count
        {
            return "SELECT … FROM \(words[from + 1])"
        }
        return words.prefix(3).joined(separator: " ")
    }

    private func failure(_ call: String, code: Int32) -> StoreError {
        let db = sqlite3_db_handle(handle)
        let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        return StoreError(SQLiteConnection.kind(of: code), "\(call)(\(Self.label(sql))) failed: \(message) (code \(code))")
    }

    // MARK: Binding

    func bind(_ value: Int64?, at index: Int) throws(StoreError) {
        let rc = value.map { sqlite3_bind_int64(handle, Int32(index + 1), $0) } ?? sqlite3_bind_null(handle, Int32(index + 1))
        guard rc == SQLITE_OK else { throw failure("sqlite3_bind_int64", code: rc) }
    }

    func bind(_ value: Int, at index: Int) throws(StoreError) {
        try bind(Int64(value), at: index)
    }

    func bind(_ value: Bool, at index: Int) throws(StoreError) {
        try bind(Int64(value ? 1 : 0), at: index)
    }

    func bind(_ value: String?, at index: Int) throws(StoreError) {
        let rc: Int32
        if let value {
            // why: an explicit byte length keeps embedded NULs; withCString never yields a nil pointer,
            // which SQLite would bind as NULL instead of ''.
            let length = Int32(value.utf8.count)
            rc = value.withCString { landing_sqlite3_bind_text_transient(handle, Int32(index + 1), $0, length) }
        } else {
            rc = sqlite3_bind_null(handle, Int32(index + 1))
        }
        guard rc == SQLITE_OK else { throw failure("sqlite3_bind_text", code: rc) }
    }

    // MARK: Stepping

    /// Advances: true when a row is available, false when the statement is done.
    func step() throws(StoreError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw failure("sqlite3_step", code: rc)
        }
    }

    /// Readies the statement for another use and (unless told not to) drops its bindings (a reset
    /// statement also ends the implicit read transaction it held).
    func reset(clearingBindings: Bool = true) {
        sqlite3_reset(handle)
        if clearingBindings { sqlite3_clear_bindings(handle) }
    }

    // MARK: Columns

    func isNull(at index: Int) -> Bool { sqlite3_column_type(handle, Int32(index)) == SQLITE_NULL }

    func int64(at index: Int) -> Int64 { sqlite3_column_int64(handle, Int32(index)) }

    func optionalInt64(at index: Int) -> Int64? { isNull(at: index) ? nil : int64(at: index) }

    func string(at index: Int) -> String? {
        guard !isNull(at: index), let text = sqlite3_column_text(handle, Int32(index)) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, Int32(index)))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }
}
