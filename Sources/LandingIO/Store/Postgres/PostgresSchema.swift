import LandingCore

/// The PostgreSQL schema as versioned migrations of literal SQL, and how they are applied.
///
/// The tables mirror SQLite's (`SQLiteStore.migrations`, all its steps folded into step 1 here,
/// since no PostgreSQL database predates them): the same columns, names and meaning, with
/// PostgreSQL types — BIGINT milliseconds since the Unix epoch, BOOLEAN flags, raw parameters as
/// the same JSON text, a `version` on every record (1 for a new row, incremented by each write).
///
/// Append new steps; never edit one that has shipped: each is literal SQL (no shared column list
/// spliced in), so adding a column later cannot change what an old step does.
///
/// Applied versions are rows of `landing_schema_migrations` (one per version, its primary key).
/// `migrate` runs in one transaction under a transaction-level advisory lock, so instances
/// starting together migrate once: the first takes the lock and applies the steps, the others
/// wait for its commit, then find nothing left to do.
enum PostgresSchema {
    /// One schema step, applied once, in the migrating transaction.
    struct Migration: Sendable {
        var version: Int
        var sql: String
    }

    /// The advisory lock key that serializes migrations of one database: the ASCII bytes of
    /// "landmigr" as a signed 64-bit integer (any constant will do as long as it never changes).
    static let migrationLockKey: Int64 = 0x6C61_6E64_6D69_6772

    /// The table recording applied versions; created by `migrate` before step 1.
    static let versionTableSQL = """
        CREATE TABLE IF NOT EXISTS landing_schema_migrations (
            version INTEGER PRIMARY KEY NOT NULL CHECK (version >= 1),
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """

    /// The schema, oldest step first.
    static let migrations: [Migration] = [
        Migration(
            version: 1,
            sql: """
                CREATE TABLE items (
                    item_id TEXT PRIMARY KEY NOT NULL,
                    session_id TEXT,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed', 'expired')),
                    confirmed BOOLEAN NOT NULL DEFAULT FALSE,
                    error_code TEXT,
                    error_description TEXT,
                    hits BIGINT NOT NULL DEFAULT 0,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    completed_at BIGINT,
                    expires_at BIGINT,
                    raw_parameters TEXT NOT NULL DEFAULT '[]',
                    dropped_parameters BIGINT NOT NULL DEFAULT 0,
                    client_user_id TEXT,
                    return_url TEXT,
                    is_test BOOLEAN NOT NULL DEFAULT FALSE,
                    version BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1)
                );
                CREATE INDEX items_updated_at ON items (updated_at);
                CREATE TABLE sessions (
                    session_id TEXT PRIMARY KEY NOT NULL,
                    item_id TEXT,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed', 'expired')),
                    confirmed BOOLEAN NOT NULL DEFAULT FALSE,
                    error_code TEXT,
                    error_description TEXT,
                    hits BIGINT NOT NULL DEFAULT 0,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    completed_at BIGINT,
                    expires_at BIGINT,
                    raw_parameters TEXT NOT NULL DEFAULT '[]',
                    dropped_parameters BIGINT NOT NULL DEFAULT 0,
                    client_user_id TEXT,
                    return_url TEXT,
                    is_test BOOLEAN NOT NULL DEFAULT FALSE,
                    version BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1)
                );
                CREATE INDEX sessions_updated_at ON sessions (updated_at);
                CREATE TABLE webhook_events (
                    event_id TEXT PRIMARY KEY NOT NULL,
                    item_id TEXT NOT NULL,
                    event TEXT NOT NULL,
                    received_at BIGINT NOT NULL
                );
                CREATE INDEX webhook_events_received_at ON webhook_events (received_at);
                """),
        // SQLite's step 4: the confirmation's source, the institution's name, Pluggy's execution
        // status, a session's chosen language.
        Migration(
            version: 2,
            sql: """
                ALTER TABLE items ADD COLUMN confirmed_by TEXT CHECK (confirmed_by IN ('webhook', 'api'));
                ALTER TABLE items ADD COLUMN connector_name TEXT;
                ALTER TABLE items ADD COLUMN execution_status TEXT;
                ALTER TABLE items ADD COLUMN language TEXT;
                ALTER TABLE sessions ADD COLUMN confirmed_by TEXT CHECK (confirmed_by IN ('webhook', 'api'));
                ALTER TABLE sessions ADD COLUMN connector_name TEXT;
                ALTER TABLE sessions ADD COLUMN execution_status TEXT;
                ALTER TABLE sessions ADD COLUMN language TEXT;
                UPDATE items SET confirmed_by = 'webhook' WHERE confirmed;
                UPDATE sessions SET confirmed_by = 'webhook' WHERE confirmed;
                """),
    ]

    /// The newest version this build knows.
    static var latestVersion: Int { migrations.count }

    /// Brings the database `connection` points at (its `search_path`) up to `migrations`: refuses a
    /// schema newer than this build knows (`.corrupt`, nothing written), applies the missing steps
    /// and records each version, all in one transaction under `migrationLockKey`. Returns the
    /// versions this call applied (empty when another instance had already done it).
    @discardableResult
    static func migrate(_ connection: PGConnection, migrations: [Migration] = migrations) throws(StoreError) -> [Int] {
        for (index, migration) in migrations.enumerated() {
            precondition(migration.version == index + 1, "migrations must be numbered 1, 2, 3... in order")
        }
        // why: an up-to-date schema needs no DDL and no lock, so a role without CREATE on the
        // schema (migrated once by its owner) can run the server, and reconnects stay cheap.
        if try currentVersionWithoutDDL(connection) == migrations.count { return [] }
        return try connection.transaction { () throws(StoreError) -> [Int] in
            // why: a transaction-level lock is released by COMMIT or ROLLBACK, and by the server
            // when the connection dies, so a crashed migration never leaves the lock held. The
            // tables are created under it too: concurrent CREATE TABLE IF NOT EXISTS can still
            // fail with a unique violation in the catalog.
            try connection.execute("SELECT pg_advisory_xact_lock($1::bigint)", [String(migrationLockKey)])
            try connection.executeScript(versionTableSQL)
            let found = try appliedVersion(connection)
            guard found <= migrations.count else {
                throw StoreError(
                    .corrupt,
                    "database schema version \(found) is newer than this build supports (\(migrations.count)); refusing to use it")
            }
            var applied: [Int] = []
            for migration in migrations where migration.version > found {
                try connection.executeScript(migration.sql)
                try connection.execute("INSERT INTO landing_schema_migrations (version) VALUES ($1)", [String(migration.version)])
                applied.append(migration.version)
            }
            return applied
        }
    }

    /// The newest applied version when the version table exists (nil when it does not), read
    /// without creating anything.
    static func currentVersionWithoutDDL(_ connection: PGConnection) throws(StoreError) -> Int? {
        let exists = try connection.execute("SELECT to_regclass('landing_schema_migrations') IS NOT NULL")
        guard exists.text(row: 0, column: 0) == "t" else { return nil }
        return try appliedVersion(connection)
    }

    /// The newest applied version (0 for a database that has none).
    static func appliedVersion(_ connection: PGConnection) throws(StoreError) -> Int {
        let result = try connection.execute("SELECT coalesce(max(version), 0) FROM landing_schema_migrations")
        guard result.rowCount == 1, let version = try result.int64(row: 0, column: 0) else {
            throw StoreError(.corrupt, "landing_schema_migrations returned no version")
        }
        return Int(version)
    }
}
