import Dispatch
import Foundation
import LandingCore
import Testing

@testable import LandingIO

/// A connection whose `search_path` is `schema`, so each test migrates its own copy of the tables.
private func connect(schema: String) throws -> PGConnection {
    let connection = try PGTestEnvironment.connect()
    try connection.execute("SELECT set_config('search_path', $1, false)", [schema])
    return connection
}

/// What the migrating threads report, behind a lock.
private final class Outcomes: @unchecked Sendable {  // why: every access holds `lock`.
    private let lock = NSLock()
    private var results: [Result<[Int], StoreError>] = []

    func append(_ result: Result<[Int], StoreError>) {
        lock.withLock { results.append(result) }
    }

    var all: [Result<[Int], StoreError>] { lock.withLock { results } }
}

/// Runs `body` with a fresh, empty schema, dropped afterwards.
private func withSchema(_ body: (String) throws -> Void) throws {
    let schema = PGTestEnvironment.uniqueName("landing_schema")
    let admin = try PGTestEnvironment.connect()
    try admin.executeScript("CREATE SCHEMA \(schema)")
    defer { _ = try? admin.executeScript("DROP SCHEMA \(schema) CASCADE") }
    try body(schema)
}

@Suite(.enabled(if: PGTestEnvironment.shouldRun, PGTestEnvironment.skipReason))
struct PostgresSchemaTests {
    /// A fresh database gets every table with a `version` column on records, and the version is
    /// recorded; migrating again applies nothing.
    @Test func migrate_FreshDatabase_CreatesTablesOnce() throws {
        try withSchema { schema in
            let connection = try connect(schema: schema)
            #expect(try PostgresSchema.migrate(connection) == [1, 2])
            #expect(try PostgresSchema.migrate(connection) == [])
            #expect(try PostgresSchema.appliedVersion(connection) == PostgresSchema.latestVersion)
            let tables = try connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", [schema])
            let names = (0..<tables.rowCount).compactMap { tables.text(row: $0, column: 0) }
            #expect(names == ["items", "landing_schema_migrations", "sessions", "webhook_events"])
            let versions = try connection.execute(
                """
                SELECT table_name, data_type, column_default FROM information_schema.columns
                WHERE table_schema = $1 AND column_name = 'version' AND table_name IN ('items', 'sessions')
                ORDER BY table_name
                """, [schema])
            #expect(versions.rowCount == 2)
            for row in 0..<versions.rowCount {
                #expect(versions.text(row: row, column: 1) == "bigint")
                #expect(versions.text(row: row, column: 2) == "1")
            }
            try connection.execute(
                "INSERT INTO items (item_id, status, created_at, updated_at) VALUES ($1, 'pending', 1, 1)", ["i1"])
            #expect(try connection.execute("SELECT version FROM items").int64(row: 0, column: 0) == 1)
        }
    }

    /// Several connections migrating the same database at once all succeed; the steps are applied
    /// by exactly one of them and each version is recorded once.
    @Test func migrate_Concurrently_AppliesOnce() throws {
        try withSchema { schema in
            let outcomes = Outcomes()
            let start = DispatchSemaphore(value: 0)
            let group = DispatchGroup()
            let count = 4
            for _ in 0..<count {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    let outcome: Result<[Int], StoreError>
                    do throws(StoreError) {
                        let connection = try PGConnection(conninfo: PGTestEnvironment.url ?? "")
                        try connection.execute("SELECT set_config('search_path', $1, false)", [schema])
                        start.wait()
                        outcome = .success(try PostgresSchema.migrate(connection))
                    } catch {
                        outcome = .failure(error)
                    }
                    outcomes.append(outcome)
                }
            }
            for _ in 0..<count { start.signal() }
            #expect(group.wait(timeout: .now() + 60) == .success)
            let results = outcomes.all
            #expect(results.count == count)
            let applied = results.compactMap { try? $0.get() }
            #expect(applied.count == count, "\(results)")
            #expect(applied.filter { $0 == [1, 2] }.count == 1, "\(applied)")
            #expect(applied.filter { $0.isEmpty }.count == count - 1, "\(applied)")
            let connection = try connect(schema: schema)
            let recorded = try connection.execute("SELECT version, count(*) FROM landing_schema_migrations GROUP BY version ORDER BY version")
            #expect(recorded.rowCount == PostgresSchema.latestVersion)
            for row in 0..<recorded.rowCount {
                #expect(try recorded.int64(row: row, column: 0) == Int64(row + 1))
                #expect(try recorded.int64(row: row, column: 1) == 1, "each version recorded once")
            }
        }
    }

    /// A database migrated by a newer build is refused (`.corrupt`) and left untouched.
    @Test func migrate_NewerSchema_IsRefused() throws {
        try withSchema { schema in
            let connection = try connect(schema: schema)
            try PostgresSchema.migrate(connection)
            try connection.execute("INSERT INTO landing_schema_migrations (version) VALUES ($1)", [String(PostgresSchema.latestVersion + 1)])
            let error: StoreError? = {
                do throws(StoreError) {
                    try PostgresSchema.migrate(connection)
                    return nil
                } catch {
                    return error
                }
            }()
            #expect(error?.kind == .corrupt)
            #expect(error?.message.contains("newer than this build supports") == true)
            #expect(!connection.isInTransaction)
        }
    }

    /// A later step is applied on top of an existing database, and a failing step rolls back the
    /// whole migration (no version recorded, no half-applied DDL).
    @Test func migrate_LaterSteps_AppliedOrRolledBack() throws {
        try withSchema { schema in
            let connection = try connect(schema: schema)
            try PostgresSchema.migrate(connection)
            let next = PostgresSchema.latestVersion + 1
            let broken = PostgresSchema.migrations + [
                .init(version: next, sql: "ALTER TABLE items ADD COLUMN extra TEXT; ALTER TABLE missing ADD COLUMN x TEXT;")
            ]
            #expect(throws: StoreError.self) { try PostgresSchema.migrate(connection, migrations: broken) }
            #expect(try PostgresSchema.appliedVersion(connection) == PostgresSchema.latestVersion)
            let extra = try connection.execute(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND column_name = 'extra'", [schema])
            #expect(try extra.int64(row: 0, column: 0) == 0)

            let fixed = PostgresSchema.migrations + [.init(version: next, sql: "ALTER TABLE items ADD COLUMN extra TEXT;")]
            #expect(try PostgresSchema.migrate(connection, migrations: fixed) == [next])
            #expect(try PostgresSchema.appliedVersion(connection) == next)
        }
    }
}
