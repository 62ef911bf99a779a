import Foundation
import LandingCore
import Synchronization
import Testing

@testable import LandingIO

/// The version-1 schema exactly as it shipped, frozen here: a database written in this layout must
/// keep opening and reading correctly whatever later migrations add.
private let frozenVersion1Schema = """
    CREATE TABLE items (
        item_id TEXT PRIMARY KEY NOT NULL, session_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed', 'expired')),
        confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)), error_code TEXT, error_description TEXT,
        hits INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, completed_at INTEGER,
        expires_at INTEGER, raw_parameters TEXT NOT NULL DEFAULT '[]', dropped_parameters INTEGER NOT NULL DEFAULT 0,
        client_user_id TEXT, return_url TEXT, is_test INTEGER NOT NULL DEFAULT 0 CHECK (is_test IN (0, 1))
    ) STRICT;
    CREATE INDEX items_updated_at ON items (updated_at);
    CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY NOT NULL, item_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed', 'expired')),
        confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)), error_code TEXT, error_description TEXT,
        hits INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, completed_at INTEGER,
        expires_at INTEGER, raw_parameters TEXT NOT NULL DEFAULT '[]', dropped_parameters INTEGER NOT NULL DEFAULT 0,
        client_user_id TEXT, return_url TEXT, is_test INTEGER NOT NULL DEFAULT 0 CHECK (is_test IN (0, 1))
    ) STRICT;
    CREATE INDEX sessions_updated_at ON sessions (updated_at);
    PRAGMA user_version = 1;
    """

/// A second connection to the same file, for setting up and inspecting databases behind the store.
private func rawConnection(_ path: String) throws -> SQLiteConnection {
    try SQLiteConnection(path: path, busyTimeoutMilliseconds: 2_000)
}

/// The names of the tables and indices in the database at `path`.
private func schemaNames(_ path: String) throws -> Set<String> {
    let connection = try rawConnection(path)
    let statement = try connection.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")
    var names = Set<String>()
    while try statement.step() { statement.string(at: 0).map { _ = names.insert($0) } }
    return names
}

private func callback(_ itemId: String, at time: Int64 = 1_000) -> CallbackEvent {
    CallbackEvent(itemId: itemId, sessionId: nil, error: nil, rawParameters: [RawParameter(name: "k", value: "v")], receivedAt: time)
}

@Suite("SQLite store")
struct SQLiteStoreTests {
    /// Records written before the store is released are read back by a store reopened on the same file.
    @Test
    func sqliteStore_KeepsRecords_WhenReopened() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        var expectedItem: LandingRecord?
        do {
            let store = try SQLiteStore(path: path)
            _ = try store.createSession(NewSession(id: "s-1", clientUserId: "u", returnURL: "https://a/b", createdAt: 1, expiresAt: 9_999))
            _ = try store.recordCallback(CallbackEvent(itemId: "it-1", sessionId: "s-1", error: nil, receivedAt: 2))
            expectedItem = try store.item(id: "it-1")
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try reopened.item(id: "it-1") == expectedItem)
        #expect(try reopened.session(id: "s-1")?.itemId == "it-1")
        #expect(try reopened.session(id: "s-1")?.returnURL == "https://a/b")
    }

    /// The store's connection runs in WAL mode with synchronous=FULL, at the latest schema version.
    @Test
    func sqliteStore_UsesWALAndFullSync_WhenOpened() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.file("landing.db"))
        #expect(try store.pragma("journal_mode") == "wal")
        #expect(try store.pragma("synchronous") == "2")  // 2 = FULL
        #expect(try store.pragma("user_version") == "\(SQLiteStore.migrations.count)")
    }

    /// A new file gets both tables and their updated_at indices for purge.
    @Test
    func sqliteStore_CreatesCurrentSchema_WhenFileIsNew() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        _ = try SQLiteStore(path: path)
        #expect(try schemaNames(path).isSuperset(of: ["items", "sessions", "items_updated_at", "sessions_updated_at"]))
        let plan = try rawConnection(path).prepare("EXPLAIN QUERY PLAN DELETE FROM items WHERE updated_at < 5")
        var details: [String] = []
        while try plan.step() { details.append(plan.string(at: 3) ?? "") }
        #expect(details.contains { $0.contains("items_updated_at") }, "purge does not use the index: \(details)")
    }

    /// A purge step finds its rows through the updated_at / received_at indices, not a table scan.
    @Test
    func sqliteStore_PurgeBatchUsesIndices() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        _ = try SQLiteStore(path: path)
        let connection = try rawConnection(path)
        for (sql, index) in [
            (SQLiteTable.items.purgeBatch, "items_updated_at"), (SQLiteTable.sessions.purgeBatch, "sessions_updated_at"),
            (WebhookSQL.purgeBatch, "webhook_events_received_at"),
        ] {
            let plan = try connection.prepare("EXPLAIN QUERY PLAN " + sql)
            var details: [String] = []
            while try plan.step() { details.append(plan.string(at: 3) ?? "") }
            #expect(details.contains { $0.contains(index) }, "\(sql): \(details)")
        }
    }

    /// 1,234 expired records go in steps of at most 500, each its own committed transaction.
    @Test
    func sqliteStore_PurgesLargeBacklog_InShortTransactions() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        let store = try SQLiteStore(path: path)
        _ = try store.recordCallbacks((0..<1_234).map { callback("old-\($0)", at: 1_000) })
        _ = try store.recordCallback(callback("fresh", at: 9_000))
        var steps: [PurgeBatch] = []
        repeat {
            steps.append(try store.purge(updatedBefore: 5_000, limit: 500))
            // Between steps another connection sees the deletions so far: each step committed.
            let count = try rawConnection(path).prepare("SELECT count(*) FROM items")
            _ = try count.step()
            #expect(count.int64(at: 0) == Int64(1_235 - steps.reduce(0) { $0 + $1.records }))
        } while !(steps.last?.isComplete ?? true) && steps.count < 10
        #expect(steps.map(\.records) == [500, 500, 234])
        #expect(steps.map(\.isComplete) == [false, false, true])
        #expect(try store.item(id: "fresh") != nil)
    }

    /// The database file is created with mode 0640 at most: never readable by other users.
    @Test
    func sqliteStore_CreatesPrivateFile_WhenMissing() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        _ = try SQLiteStore(path: path)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode & ~0o640 == 0, "mode \(String(mode, radix: 8))")
    }

    /// A version-1 database written by hand opens unchanged and its rows read back as the records they describe.
    @Test
    func sqliteStore_ReadsVersion1Rows_WhenFileWasWrittenByHand() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("v1.db")
        do {
            let raw = try rawConnection(path)
            try raw.execute(frozenVersion1Schema)
            try raw.execute(
                """
                INSERT INTO items (item_id, session_id, status, confirmed, error_code, error_description, hits, created_at,
                    updated_at, completed_at, expires_at, raw_parameters, dropped_parameters, client_user_id, return_url, is_test)
                VALUES ('it-1', 's-1', 'failed', 1, 'access_denied', NULL, 3, 1000, 2000, 1500, NULL,
                    '[{"name":"a","value":"b"},{"value":"","name":"c"}]', 2, NULL, NULL, 1);
                INSERT INTO sessions (session_id, item_id, status, hits, created_at, updated_at, expires_at, client_user_id, return_url)
                VALUES ('s-1', NULL, 'pending', 0, 900, 900, 5000, 'user', 'https://app/x');
                """)
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.pragma("user_version") == "\(SQLiteStore.migrations.count)")
        #expect(
            try store.item(id: "it-1")
                == LandingRecord(
                    key: .item("it-1"), itemId: "it-1", sessionId: "s-1", status: .failed, confirmed: true,
                    error: LandingError(code: "access_denied", description: nil), hits: 3, createdAt: 1_000, updatedAt: 2_000,
                    completedAt: 1_500, rawParameters: [RawParameter(name: "a", value: "b"), RawParameter(name: "c", value: "")],
                    droppedParameters: 2, isTest: true, version: 1))
        #expect(
            try store.session(id: "s-1")
                == LandingRecord(
                    key: .session("s-1"), sessionId: "s-1", status: .pending, createdAt: 900, updatedAt: 900, expiresAt: 5_000,
                    clientUserId: "user", returnURL: "https://app/x", version: 1))
        // Rows from before versions start at 1; the next write makes them 2.
        #expect(try store.recordCallback(callback("it-1")) == .recorded(
            LandingRecord(
                key: .item("it-1"), itemId: "it-1", sessionId: "s-1", status: .failed, confirmed: true,
                error: LandingError(code: "access_denied", description: nil), hits: 4, createdAt: 1_000, updatedAt: 1_000,
                completedAt: 1_500, rawParameters: [RawParameter(name: "a", value: "b"), RawParameter(name: "c", value: "")],
                droppedParameters: 2, isTest: true, version: 2), firstCompletion: false))
    }

    /// Opening an older database applies the missing steps in order, each once, and keeps the rows.
    @Test
    func sqliteStore_MigratesOlderSchema_WhenOpened() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        let shipped = Int32(SQLiteStore.migrations.count)
        let v3 = SQLiteStore.migrations + [
            SQLiteMigration(version: shipped + 1, sql: "CREATE TABLE marks (n INTEGER NOT NULL) STRICT; ALTER TABLE items ADD COLUMN note TEXT;"),
            SQLiteMigration(version: shipped + 2, sql: "INSERT INTO marks (n) SELECT count(*) FROM items;"),
        ]
        do {
            // What a version-1 build wrote for callback("it-1").
            let old = try rawConnection(path)
            try old.execute(frozenVersion1Schema)
            try old.execute(
                """
                INSERT INTO items (item_id, status, hits, created_at, updated_at, completed_at, raw_parameters)
                VALUES ('it-1', 'completed', 1, 1000, 1000, 1000, '[{"name":"k","value":"v"}]');
                """)
            #expect(try old.pragma("user_version") == "1")
        }
        let expected = try SQLiteStore(path: directory.file("reference.db")).recordCallback(callback("it-1"))
        do {
            let migrated = try SQLiteStore(path: path, migrations: v3, busyTimeoutMilliseconds: 1_000)
            #expect(try migrated.pragma("user_version") == "\(shipped + 2)")
            let item = try #require(try migrated.item(id: "it-1"))
            #expect(CallbackRecordResult.recorded(item, firstCompletion: true) == expected)
            _ = try migrated.recordCallback(callback("it-2"))
        }
        _ = try SQLiteStore(path: path, migrations: v3, busyTimeoutMilliseconds: 1_000)  // already current: nothing reapplied
        let marks = try rawConnection(path).prepare("SELECT group_concat(n) FROM marks")
        #expect(try marks.step())
        #expect(marks.string(at: 0) == "1", "the first added step ran once, after the shipped ones, when items held one row")
    }

    /// A step that fails rolls back entirely: the version stays, nothing of the step remains, the store is not opened.
    @Test
    func sqliteStore_RollsBackMigration_WhenStepFails() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        _ = try SQLiteStore(path: path)
        let shipped = Int32(SQLiteStore.migrations.count)
        let broken = SQLiteStore.migrations + [
            SQLiteMigration(version: shipped + 1, sql: "CREATE TABLE half (x INTEGER); SELECT missing_column FROM items;")
        ]
        #expect(throws: StoreError.self) { try SQLiteStore(path: path, migrations: broken, busyTimeoutMilliseconds: 1_000) }
        #expect(try !schemaNames(path).contains("half"))
        #expect(try SQLiteStore(path: path).pragma("user_version") == "\(shipped)")
    }

    /// A database from a newer build (user_version 999) is refused, and left untouched (not even switched to WAL).
    @Test
    func sqliteStore_Refuses_WhenSchemaIsNewer() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("future.db")
        do {
            let raw = try rawConnection(path)
            try raw.execute("CREATE TABLE future (x INTEGER); PRAGMA user_version = 999;")
        }
        let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        #expect {
            try SQLiteStore(path: path)
        } throws: { error in
            (error as? StoreError)?.message.contains("999") == true && (error as? StoreError)?.kind == .corrupt
        }
        let raw = try rawConnection(path)
        #expect(try raw.pragma("user_version") == "999")
        #expect(try raw.pragma("journal_mode") == "delete")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == modified)
        #expect(try schemaNames(path) == ["future"])
    }

    /// A file that is not an SQLite database is refused with a store error.
    @Test
    func sqliteStore_Throws_WhenFileIsNotADatabase() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("garbage.db")
        try Data(repeating: 0x5A, count: 4_096).write(to: URL(fileURLWithPath: path))
        #expect {
            try SQLiteStore(path: path)
        } throws: { error in
            (error as? StoreError)?.kind == .corrupt
        }
    }

    /// A write failing mid-batch rolls back every callback of the batch; the error names the call, never the values.
    @Test
    func sqliteStore_RollsBackWholeBatch_WhenOneWriteFails() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        let store = try SQLiteStore(path: path)
        try rawConnection(path).execute(
            """
            CREATE TRIGGER refuse_poison BEFORE INSERT ON items WHEN NEW.item_id = 'poison-secret-value'
            BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END;
            """)
        let batch = [callback("first"), callback("poison-secret-value"), callback("third")]
        #expect {
            try store.recordCallbacks(batch)
        } throws: { error in
            guard let message = (error as? StoreError)?.message else { return false }
            return message.contains("sqlite3_step") && message.contains("refused by test trigger")
                && !message.contains("poison-secret-value") && !message.contains("first")
        }
        #expect(try store.item(id: "first") == nil)
        #expect(try store.item(id: "third") == nil)
        #expect(try store.recordCallbacks([callback("first"), callback("third")]).count == 2)
        #expect(try store.item(id: "first")?.status == .completed)
    }

    /// While another connection holds the write lock, writes fail after the busy timeout but reads go on (WAL);
    /// once the lock goes, the store writes again.
    @Test
    func sqliteStore_Throws_WhenDatabaseIsLockedElsewhere() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        let store = try SQLiteStore(path: path, migrations: SQLiteStore.migrations, busyTimeoutMilliseconds: 50)
        _ = try store.recordCallback(callback("before"))
        let other = try rawConnection(path)
        try other.execute("BEGIN IMMEDIATE")
        #expect {
            try store.recordCallback(callback("during"))
        } throws: { error in
            (error as? StoreError)?.message.contains("BEGIN IMMEDIATE") == true && (error as? StoreError)?.kind == .unavailable
        }
        #expect(try store.item(id: "before") != nil)
        try other.execute("ROLLBACK")
        _ = try store.recordCallback(callback("after"))
        #expect(try store.item(id: "during") == nil)
        #expect(try store.item(id: "after") != nil)
    }

    /// Calls from many threads at once are serialized: every callback is recorded exactly once.
    @Test
    func sqliteStore_IsSafe_WhenCalledFromManyThreads() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.file("landing.db"))
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for n in 0..<10 {
                do {
                    _ = try store.recordCallback(callback("t\(thread)-\(n)"))
                    _ = try store.item(id: "t\(thread)-\(n)")
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(try store.purge(updatedBefore: .max) == 80)
    }

    /// The SQLite store gives the reference MemoryStore's result for every call of a long pseudo-random run of operations.
    @Test
    func sqliteStore_AgreesWithMemoryStore_WhenGivenTheSameOperations() throws {
        let memory = try StoreUnderTest(.memory)
        let sqlite = try StoreUnderTest(.sqlite)
        let denied = LandingError(code: "access_denied", description: "no")
        let params = [RawParameter(name: "itemId", value: "x"), RawParameter(name: "scope", value: "y")]
        var random = SplitMix64(seed: 0x5eed)
        var time: Int64 = 1_000
        var pendingBatch: [CallbackEvent] = []
        for step in 0..<600 {
            time += Int64(random.next(below: 400))
            let item = random.next(below: 4) == 0 ? nil : "it-\(random.next(below: 12))"
            let session = random.next(below: 2) == 0 ? nil : "s-\(random.next(below: 6))"
            let error = random.next(below: 3) == 0 ? denied : nil
            switch random.next(below: 10) {
            case 0, 1:
                let new = NewSession(
                    id: session ?? "s-0", clientUserId: "u", returnURL: nil, createdAt: time,
                    expiresAt: time + Int64(random.next(below: 3_000)), isTest: error != nil)
                let a = Result { () throws(StoreError) in try memory.createSession(new) }
                let b = Result { () throws(StoreError) in try sqlite.createSession(new) }
                #expect(a == b, "step \(step): createSession")
            case 2:
                let id = session ?? "s-1"
                #expect(try memory.deleteSession(id: id) == sqlite.deleteSession(id: id), "step \(step): deleteSession")
            case 3:
                let cutoff = time - Int64(random.next(below: 4_000))
                #expect(try memory.purge(updatedBefore: cutoff) == sqlite.purge(updatedBefore: cutoff), "step \(step): purge")
            case 4, 5:
                pendingBatch.append(
                    CallbackEvent(itemId: item, sessionId: session, error: error, rawParameters: params, receivedAt: time))
                if pendingBatch.count >= 3 {
                    let expected = try memory.recordCallbacks(pendingBatch)
                    #expect(try sqlite.recordCallbacks(pendingBatch) == expected, "step \(step): batch")
                    pendingBatch.removeAll()
                }
            default:
                let event = CallbackEvent(itemId: item, sessionId: session, error: error, receivedAt: time, isTest: error == nil)
                #expect(try memory.recordCallback(event) == sqlite.recordCallback(event), "step \(step): callback")
            }
        }
        for n in 0..<12 { #expect(try memory.item(id: "it-\(n)") == sqlite.item(id: "it-\(n)")) }
        for n in 0..<6 { #expect(try memory.session(id: "s-\(n)") == sqlite.session(id: "s-\(n)")) }
    }

    // MARK: StoreFactory

    /// `memory:` makes a MemoryStore.
    @Test
    func storeFactory_MakesMemoryStore_ForMemoryLocation() throws {
        #expect(try StoreFactory.makeStore(.memory) is MemoryStore)
    }

    /// `sqlite:PATH` creates the missing parent directories (mode 0750 at most) and opens an SQLite store there.
    @Test
    func storeFactory_CreatesParentDirectories_WhenMissing() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("data/nested/landing.db")
        let store = try StoreFactory.makeStore(.sqlite(path: path))
        #expect(store is SQLiteStore)
        _ = try store.recordCallback(callback("it-1"))
        #expect(FileManager.default.fileExists(atPath: path))
        for created in [directory.file("data"), directory.file("data/nested")] {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: created)[.posixPermissions] as? Int)
            #expect(mode & ~0o750 == 0 && mode & 0o700 == 0o700, "\(created): mode \(String(mode, radix: 8))")
        }
        #expect(try StoreFactory.makeStore(.sqlite(path: path)).item(id: "it-1") != nil)
    }

    /// A regular file where a parent directory should be is reported as a store error.
    @Test
    func storeFactory_Throws_WhenParentIsAFile() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        #expect(FileManager.default.createFile(atPath: directory.file("data"), contents: Data("x".utf8)))
        #expect(throws: StoreError.self) { try StoreFactory.makeStore(.sqlite(path: directory.file("data/landing.db"))) }
    }
}

/// A small deterministic generator (SplitMix64), so the differential test replays the same sequence.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// FNV-1a 64 of `text`'s UTF-8 bytes, in hex.
private func fnv1a(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return String(hash, radix: 16)
}

@Suite("SQLite schema")
struct SQLiteSchemaTests {
    /// Shipped migrations are frozen: their SQL text hashes to what shipped, so any edit (a column added to step 1) fails here.
    @Test
    func sqliteSchema_ShippedMigrationsAreFrozen() throws {
        let shipped: [Int32: String] = [
            1: "e0b1a129b5c62b02",
            2: "469a427bfebcbe5e",
            3: "f0dd6a4e8808eedc",
            4: "7134d8d14c84585c",
            5: "274686a0a71a15db",
        ]
        for migration in SQLiteStore.migrations {
            let hash = fnv1a(migration.sql)
            #expect(shipped[migration.version] == hash, "migration \(migration.version) changed (now \(hash)): add a new step instead")
        }
    }

    /// Step 1 creates exactly the frozen version-1 layout: same tables, same columns in the same order.
    @Test
    func sqliteSchema_Version1MatchesFrozenLayout() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        func columns(_ path: String, _ table: String) throws -> [String] {
            let connection = try rawConnection(path)
            let statement = try connection.prepare("SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' || ifnull(dflt_value, '-') || ' ' || pk FROM pragma_table_info('\(table)')")
            var out: [String] = []
            while try statement.step() { out.append(statement.string(at: 0) ?? "") }
            withExtendedLifetime(connection) {}
            return out
        }
        let migrated = directory.file("migrated.db")
        try rawConnection(migrated).execute(SQLiteStore.migrations[0].sql)
        let frozen = directory.file("frozen.db")
        try rawConnection(frozen).execute(frozenVersion1Schema)
        for table in ["items", "sessions"] {
            #expect(try columns(migrated, table) == columns(frozen, table))
            #expect(try !columns(migrated, table).isEmpty)
        }
    }

    /// Step 3 gives rows that existed before it version 1, and the store then counts on from there.
    @Test
    func sqliteSchema_ExistingRowsStartAtVersion1() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        do {
            let old = try rawConnection(path)
            try old.execute(SQLiteStore.migrations[0].sql + SQLiteStore.migrations[1].sql + "PRAGMA user_version = 2;")
            try old.execute(
                """
                INSERT INTO sessions (session_id, status, hits, created_at, updated_at, expires_at)
                VALUES ('s-1', 'pending', 0, 900, 900, 50000);
                """)
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.session(id: "s-1")?.version == 1)
        let commit = try store.commit([.deleteSession(id: "s-1")])
        #expect(commit.changes == [RecordChange(key: .session("s-1"), version: 2)])
    }
    /// The rows of every column of `table` in the database at `path`, as text, ordered by key.
    private func rows(_ path: String, _ table: String, key: String) throws -> [String] {
        let connection = try rawConnection(path)
        let list = RecordColumns.names.map { "quote(\($0))" }.joined(separator: " || '|' || ")
        let statement = try connection.prepare("SELECT \(list) FROM \(table) ORDER BY \(key)")
        var out: [String] = []
        while try statement.step() { out.append(statement.string(at: 0) ?? "") }
        withExtendedLifetime(connection) {}
        return out
    }

    /// The `pragma_table_info` lines of `table`: name, type, not-null, default, primary key.
    private func layout(_ path: String, _ table: String) throws -> [String] {
        let connection = try rawConnection(path)
        let statement = try connection.prepare(
            "SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' || ifnull(dflt_value, '-') || ' ' || pk FROM pragma_table_info('\(table)')")
        var out: [String] = []
        while try statement.step() { out.append(statement.string(at: 0) ?? "") }
        withExtendedLifetime(connection) {}
        return out
    }

    @Test("Step 5 rebuilds both record tables with the same columns, rows, index and status check")
    func sqliteSchema_Step5KeepsRowsColumnsAndChecks() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        let stepsBefore = SQLiteStore.migrations.prefix(4)
        do {
            let old = try rawConnection(path)
            try old.execute(stepsBefore.map(\.sql).joined(separator: "\n") + "\nPRAGMA user_version = 4;")
            try old.execute(
                """
                INSERT INTO items VALUES ('i-1', 's-1', 'completed', 1, 'e', 'd', 3, 10, 20, 15, NULL,
                    '[{"name":"itemId","value":"i-1"}]', 2, NULL, NULL, 1, 7, 'api', 'Bank', 'SUCCESS', NULL);
                INSERT INTO items (item_id, status, created_at, updated_at) VALUES ('i-2', 'pending', 1, 2);
                INSERT INTO sessions VALUES ('s-1', 'i-1', 'failed', 0, 'x', NULL, 1, 5, 6, 6, 99, '[]', 0,
                    'user', 'https://app/x', 0, 3, NULL, NULL, NULL, 'pt-BR');
                """)
        }
        let before = (try rows(path, "items", key: "item_id"), try rows(path, "sessions", key: "session_id"))
        let layoutBefore = (try layout(path, "items"), try layout(path, "sessions"))
        let store = try SQLiteStore(path: path)
        #expect(try store.pragma("user_version") == "5")
        #expect(try rows(path, "items", key: "item_id") == before.0)
        #expect(try rows(path, "sessions", key: "session_id") == before.1)
        #expect(try layout(path, "items") == layoutBefore.0)
        #expect(try layout(path, "sessions") == layoutBefore.1)
        #expect(try store.item(id: "i-1")?.connectorName == "Bank")
        #expect(try schemaNames(path).isSuperset(of: ["items", "sessions", "items_updated_at", "sessions_updated_at"]))
        #expect(try !schemaNames(path).contains("items_v5"))
        let raw = try rawConnection(path)
        for table in ["items", "sessions"] {
            for status in ["unknown", "Completed", ""] {
                #expect(throws: StoreError.self, "\(table) refuses status '\(status)'") {
                    try raw.execute("INSERT INTO \(table) (\(table == "items" ? "item_id" : "session_id"), status, created_at, updated_at) VALUES ('bad', '\(status)', 1, 1)")
                }
            }
        }
    }

    /// The statements a record write runs build no ephemeral table (a CHECK `IN` list of more than
    /// two values did, on every row written).
    @Test("Writing a record builds no ephemeral table in SQLite's program")
    func sqliteSchema_RecordWritesOpenNoEphemeralTable() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        _ = try SQLiteStore(path: path)
        let raw = try rawConnection(path)
        for table in [SQLiteTable.items, SQLiteTable.sessions] {
            for sql in [table.insert, table.update] {
                let explain = try raw.prepare("EXPLAIN " + sql)
                var opcodes: [String] = []
                while try explain.step() { opcodes.append(explain.string(at: 1) ?? "") }
                #expect(!opcodes.isEmpty)
                #expect(!opcodes.contains("OpenEphemeral"), "\(SQLiteStatement.label(sql)) opens an ephemeral table")
            }
        }
    }
}

@Suite("SQLite record writes")
struct SQLiteRecordWriteTests {
    /// A record at version 1 is INSERTed, a later version UPDATEs its row: a wrong guess about
    /// whether the row exists fails the write (`.conflict`) rather than overwrite or drop a row.
    @Test("A first write inserts, a later one updates, and either refuses a row that is not as the version says")
    func write_InsertsNewAndUpdatesExisting_RefusingMismatchedRows() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        _ = try SQLiteStore(path: path)
        let transaction = SQLiteTransaction(db: try rawConnection(path))
        var record = LandingRecord(
            key: .item("i-1"), itemId: "i-1", status: .completed, hits: 1, createdAt: 10, updatedAt: 10,
            rawParameters: [RawParameter(name: "itemId", value: "i-1")], version: 1)
        try transaction.write(record)
        #expect(try transaction.read(.item("i-1")) == record)
        #expect(throws: StoreError.self, "a second version-1 write of the key") { try transaction.write(record) }
        record.version = 2
        record.hits = 2
        record.connectorName = "Bank"
        try transaction.write(record)
        #expect(try transaction.read(.item("i-1")) == record)
        let missing = LandingRecord(key: .session("s-9"), sessionId: "s-9", status: .pending, createdAt: 1, updatedAt: 1, version: 2)
        do {
            try transaction.write(missing)
            Issue.record("an update of a missing row succeeded")
        } catch {
            #expect(error.kind == .conflict)
        }
        #expect(try transaction.read(.session("s-9")) == nil)
    }

    /// The record statements keep their bindings between uses (they bind every column each time):
    /// a record written after one with every field set, by INSERT or by UPDATE, keeps none of its values.
    @Test("A record written after a fully set one, inserted or updated, reads back with its own NULLs")
    func write_AfterFullySetRecord_KeepsNoneOfItsValues() throws {
        let directory = try StoreTestDirectory()
        defer { directory.remove() }
        let path = directory.file("landing.db")
        _ = try SQLiteStore(path: path)
        let transaction = SQLiteTransaction(db: try rawConnection(path))
        let full = LandingRecord(
            key: .item("full"), itemId: "full", sessionId: "s-1", status: .failed, confirmed: true,
            error: LandingError(code: "access_denied", description: "no"), hits: 3, createdAt: 1, updatedAt: 2, completedAt: 3,
            expiresAt: 4, rawParameters: [RawParameter(name: "n", value: "v")], droppedParameters: 5, clientUserId: "u",
            returnURL: "https://app.example.com", isTest: true, version: 1, confirmedBy: .api, connectorName: "Bank",
            executionStatus: "SUCCESS", language: "pt-BR")
        try transaction.write(full)
        let bare = LandingRecord(key: .item("bare"), itemId: "bare", status: .pending, createdAt: 5, updatedAt: 5, version: 1)
        try transaction.write(bare)
        #expect(try transaction.read(.item("bare")) == bare)
        var updated = LandingRecord(key: .item("full"), itemId: "full", status: .pending, createdAt: 6, updatedAt: 6, version: 2)
        try transaction.write(updated)
        #expect(try transaction.read(.item("full")) == updated)
        updated = full
        updated.version = 3
        try transaction.write(updated)
        #expect(try transaction.read(.item("full")) == updated)
        #expect(try transaction.read(.item("bare")) == bare)
    }
}
